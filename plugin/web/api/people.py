"""/people and /people/<id>/touchpoints."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from ...schemas.common import PageQuery
from ...schemas.people import (
    PersonIn,
    PersonOut,
    PersonPage,
    PersonQuery,
    TouchpointIn,
    TouchpointOut,
    TouchpointPage,
)
from ...services import people
from .common import Blueprint, actor, db_session, page_args, page_body, tenant_id

blp = Blueprint("people", __name__, url_prefix="/people", description="Passive candidates and other contacts.")


@blp.route("")
class People(MethodView):
    @blp.arguments(PersonQuery, location="query")
    @blp.response(200, PersonPage)
    def get(self, args: dict) -> dict:
        """Search people by the start of a name, e-mail address or employer."""
        return page_body(people.search(db_session(), tenant_id(), **page_args(args)))

    @blp.arguments(PersonIn)
    @blp.response(201, PersonOut)
    def post(self, data: dict) -> object:
        """Create a person."""
        return people.create(db_session(), tenant_id(), data, actor())


@blp.route("/<uuid:person_id>")
class PersonById(MethodView):
    @blp.response(200, PersonOut)
    def get(self, person_id: uuid.UUID) -> object:
        return people.get(db_session(), tenant_id(), person_id)

    @blp.arguments(PersonIn(partial=True))
    @blp.response(200, PersonOut)
    def patch(self, data: dict, person_id: uuid.UUID) -> object:
        """Change some fields of a person; fields not sent are kept."""
        return people.update(db_session(), tenant_id(), person_id, data, actor())

    @blp.response(204)
    def delete(self, person_id: uuid.UUID) -> None:
        people.delete(db_session(), tenant_id(), person_id, actor())


@blp.route("/<uuid:person_id>/touchpoints")
class Touchpoints(MethodView):
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, TouchpointPage)
    def get(self, args: dict, person_id: uuid.UUID) -> dict:
        """The person's touchpoints, newest first."""
        return page_body(people.touchpoints(db_session(), tenant_id(), person_id, **page_args(args)))

    @blp.arguments(TouchpointIn)
    @blp.response(201, TouchpointOut)
    def post(self, data: dict, person_id: uuid.UUID) -> object:
        """Log a touch; it resets the person's keep-in-touch clock."""
        return people.log_touchpoint(db_session(), tenant_id(), person_id, data, actor())
