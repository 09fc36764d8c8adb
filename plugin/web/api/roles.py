"""/roles and /roles/<id>/shortlist."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from ...schemas.common import PageQuery
from ...schemas.roles import RoleIn, RoleOut, RolePage, RoleQuery, ShortlistEntryOut, ShortlistIn, ShortlistPage
from ...services import roles
from .common import Blueprint, actor, db_session, page_args, page_body, tenant_id

blp = Blueprint("roles", __name__, url_prefix="/roles",
                description="Openings, above all the unadvertised ones, and who is shortlisted for them.")


@blp.route("")
class Roles(MethodView):
    @blp.arguments(RoleQuery, location="query")
    @blp.response(200, RolePage)
    def get(self, args: dict) -> dict:
        """Roles, oldest first or by title, optionally of one status."""
        return page_body(roles.list_(db_session(), tenant_id(), **page_args(args)))

    @blp.arguments(RoleIn)
    @blp.response(201, RoleOut)
    def post(self, data: dict) -> object:
        """Create a role; its status defaults to anticipated."""
        return roles.create(db_session(), tenant_id(), data, actor())


@blp.route("/<uuid:role_id>")
class RoleById(MethodView):
    @blp.response(200, RoleOut)
    def get(self, role_id: uuid.UUID) -> object:
        return roles.get(db_session(), tenant_id(), role_id)

    @blp.arguments(RoleIn(partial=True))
    @blp.response(200, RoleOut)
    def patch(self, data: dict, role_id: uuid.UUID) -> object:
        """Change some fields; a status change must move forward (409 otherwise)."""
        return roles.update(db_session(), tenant_id(), role_id, data, actor())


@blp.route("/<uuid:role_id>/shortlist")
class Shortlist(MethodView):
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, ShortlistPage)
    def get(self, args: dict, role_id: uuid.UUID) -> dict:
        """The people shortlisted for the role, in the order they were added."""
        return page_body(roles.shortlist(db_session(), tenant_id(), role_id, **page_args(args)))

    @blp.arguments(ShortlistIn)
    @blp.response(201, ShortlistEntryOut)
    def post(self, data: dict, role_id: uuid.UUID) -> object:
        """Add a person to the shortlist; a person is listed once per role."""
        return roles.add_to_shortlist(db_session(), tenant_id(), role_id, data, actor())


@blp.route("/<uuid:role_id>/shortlist/<uuid:person_id>", methods=["DELETE"])
@blp.response(204)
def remove_from_shortlist(role_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """Take a person off the shortlist."""
    roles.remove_from_shortlist(db_session(), tenant_id(), role_id, person_id, actor())
