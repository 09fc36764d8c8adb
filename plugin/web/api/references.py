"""/references: the referrers."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from ...schemas.referrals import ReferenceIn, ReferenceOut, ReferencePage, ReferencePatch, ReferenceQuery
from ...services import references
from .common import Blueprint, actor, db_session, page_args, page_body, tenant_id

blp = Blueprint("references", __name__, url_prefix="/references",
                description="Referrers: tracked people, recruiters and named outsiders who refer others.")


@blp.route("")
class References(MethodView):
    @blp.arguments(ReferenceQuery, location="query")
    @blp.response(200, ReferencePage)
    def get(self, args: dict) -> dict:
        """List references, oldest first."""
        return page_body(references.list_(db_session(), tenant_id(), **page_args(args)))

    @blp.arguments(ReferenceIn)
    @blp.response(201, ReferenceOut)
    def post(self, data: dict) -> object:
        """Add a referrer: exactly one of person_id, recruiter_id or name."""
        return references.create(db_session(), tenant_id(), data, actor())


@blp.route("/<uuid:reference_id>")
class ReferenceById(MethodView):
    @blp.response(200, ReferenceOut)
    def get(self, reference_id: uuid.UUID) -> object:
        return references.get(db_session(), tenant_id(), reference_id)

    @blp.arguments(ReferencePatch)
    @blp.response(200, ReferenceOut)
    def patch(self, data: dict, reference_id: uuid.UUID) -> object:
        """Change kind, name, e-mail address or note; who the reference is stays fixed."""
        return references.update(db_session(), tenant_id(), reference_id, data, actor())
