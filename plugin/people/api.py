"""/people and their touchpoints, /references (the referrers), /referrals (each act of referring someone),
and /roles with their shortlists and suggestions."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from plugin.core.api import Blueprint, actor, db_session, page_args, page_body, tenant_id
from plugin.core.schemas import PageQuery
from plugin.people import matching, people, references, referrals, roles
from plugin.people.schemas import (
    PersonIn,
    PersonOut,
    PersonPage,
    PersonQuery,
    ReferenceIn,
    ReferenceOut,
    ReferencePage,
    ReferencePatch,
    ReferenceQuery,
    ReferralIn,
    ReferralOut,
    ReferralPage,
    ReferralPatch,
    ReferralQuery,
    RoleIn,
    RoleOut,
    RolePage,
    RoleQuery,
    ShortlistEntryOut,
    ShortlistIn,
    ShortlistPage,
    SuggestionList,
    SuggestionQuery,
    TouchpointIn,
    TouchpointOut,
    TouchpointPage,
)

# --- /people --------------------------------------------------------------------------------------------------

people_blp = Blueprint("people", __name__, url_prefix="/people", description="Passive candidates and other contacts.")


@people_blp.route("")
class People(MethodView):
    @people_blp.arguments(PersonQuery, location="query")
    @people_blp.response(200, PersonPage)
    def get(self, args: dict) -> dict:
        """Search people by the start of a name, e-mail address or employer."""
        return page_body(people.search(db_session(), tenant_id(), **page_args(args)))

    @people_blp.arguments(PersonIn)
    @people_blp.response(201, PersonOut)
    def post(self, data: dict) -> object:
        """Create a person."""
        return people.create(db_session(), tenant_id(), data, actor())


@people_blp.route("/<uuid:person_id>")
class PersonById(MethodView):
    @people_blp.response(200, PersonOut)
    def get(self, person_id: uuid.UUID) -> object:
        return people.get(db_session(), tenant_id(), person_id)

    @people_blp.arguments(PersonIn(partial=True))
    @people_blp.response(200, PersonOut)
    def patch(self, data: dict, person_id: uuid.UUID) -> object:
        """Change some fields of a person; fields not sent are kept."""
        return people.update(db_session(), tenant_id(), person_id, data, actor())

    @people_blp.response(204)
    def delete(self, person_id: uuid.UUID) -> None:
        people.delete(db_session(), tenant_id(), person_id, actor())


@people_blp.route("/<uuid:person_id>/touchpoints")
class Touchpoints(MethodView):
    @people_blp.arguments(PageQuery, location="query")
    @people_blp.response(200, TouchpointPage)
    def get(self, args: dict, person_id: uuid.UUID) -> dict:
        """The person's touchpoints, newest first."""
        return page_body(people.touchpoints(db_session(), tenant_id(), person_id, **page_args(args)))

    @people_blp.arguments(TouchpointIn)
    @people_blp.response(201, TouchpointOut)
    def post(self, data: dict, person_id: uuid.UUID) -> object:
        """Log a touch; it resets the person's keep-in-touch clock."""
        return people.log_touchpoint(db_session(), tenant_id(), person_id, data, actor())


# --- /references ----------------------------------------------------------------------------------------------

references_blp = Blueprint("references", __name__, url_prefix="/references",
                description="Referrers: tracked people, recruiters and named outsiders who refer others.")


@references_blp.route("")
class References(MethodView):
    @references_blp.arguments(ReferenceQuery, location="query")
    @references_blp.response(200, ReferencePage)
    def get(self, args: dict) -> dict:
        """List references, oldest first."""
        return page_body(references.list_(db_session(), tenant_id(), **page_args(args)))

    @references_blp.arguments(ReferenceIn)
    @references_blp.response(201, ReferenceOut)
    def post(self, data: dict) -> object:
        """Add a referrer: exactly one of person_id, recruiter_id or name."""
        return references.create(db_session(), tenant_id(), data, actor())


@references_blp.route("/<uuid:reference_id>")
class ReferenceById(MethodView):
    @references_blp.response(200, ReferenceOut)
    def get(self, reference_id: uuid.UUID) -> object:
        return references.get(db_session(), tenant_id(), reference_id)

    @references_blp.arguments(ReferencePatch)
    @references_blp.response(200, ReferenceOut)
    def patch(self, data: dict, reference_id: uuid.UUID) -> object:
        """Change kind, name, e-mail address or note; who the reference is stays fixed."""
        return references.update(db_session(), tenant_id(), reference_id, data, actor())


# --- /referrals -----------------------------------------------------------------------------------------------

referrals_blp = Blueprint("referrals", __name__, url_prefix="/referrals",
                          description="Who referred whom, and how it went.")


@referrals_blp.route("")
class Referrals(MethodView):
    @referrals_blp.arguments(ReferralQuery, location="query")
    @referrals_blp.response(200, ReferralPage)
    def get(self, args: dict) -> dict:
        """List referrals by the time they were made, oldest first."""
        page = referrals.list_(db_session(), tenant_id(), **page_args(args))
        referrals.with_notes(db_session(), tenant_id(), page.items)
        return page_body(page)

    @referrals_blp.arguments(ReferralIn)
    @referrals_blp.response(201, ReferralOut)
    @referrals_blp.alt_response(200, schema=ReferralOut, description=(
        "The same referrer had referred this person already: the existing referral, merged (its note appended), "
        "not a second one."))
    def post(self, data: dict) -> object:
        """Record a referral; the referrer is a reference_id or an inline referrer, found or added.

        A repeat by the same referrer is merged into the existing referral (200); a different referrer of an
        already-referred person is recorded with credited=false unless `credited: true` is sent."""
        referral, created = referrals.create(db_session(), tenant_id(), data, actor())
        return referrals.with_notes(db_session(), tenant_id(), [referral])[0], 201 if created else 200


@referrals_blp.route("/<uuid:referral_id>")
class ReferralById(MethodView):
    @referrals_blp.response(200, ReferralOut)
    def get(self, referral_id: uuid.UUID) -> object:
        referral = referrals.get(db_session(), tenant_id(), referral_id)
        return referrals.with_notes(db_session(), tenant_id(), [referral])[0]

    @referrals_blp.arguments(ReferralPatch)
    @referrals_blp.response(200, ReferralOut)
    def patch(self, data: dict, referral_id: uuid.UUID) -> object:
        """Change some fields; a new status restarts status_changed_at."""
        referral = referrals.update(db_session(), tenant_id(), referral_id, data, actor())
        return referrals.with_notes(db_session(), tenant_id(), [referral])[0]


@referrals_blp.route("/<uuid:referral_id>/credit", methods=["POST"])
@referrals_blp.response(200, ReferralOut)
def give_credit(referral_id: uuid.UUID) -> object:
    """Move the credit for the referred person to this referral; every other referral of the person loses it."""
    referral = referrals.give_credit(db_session(), tenant_id(), referral_id, actor())
    return referrals.with_notes(db_session(), tenant_id(), [referral])[0]


# --- /roles ---------------------------------------------------------------------------------------------------

roles_blp = Blueprint("roles", __name__, url_prefix="/roles",
                description="Openings, above all the unadvertised ones, and who is shortlisted for them.")


@roles_blp.route("")
class Roles(MethodView):
    @roles_blp.arguments(RoleQuery, location="query")
    @roles_blp.response(200, RolePage)
    def get(self, args: dict) -> dict:
        """Roles, oldest first or by title, optionally of one status."""
        return page_body(roles.list_(db_session(), tenant_id(), **page_args(args)))

    @roles_blp.arguments(RoleIn)
    @roles_blp.response(201, RoleOut)
    def post(self, data: dict) -> object:
        """Create a role; its status defaults to anticipated."""
        return roles.create(db_session(), tenant_id(), data, actor())


@roles_blp.route("/<uuid:role_id>")
class RoleById(MethodView):
    @roles_blp.response(200, RoleOut)
    def get(self, role_id: uuid.UUID) -> object:
        return roles.get(db_session(), tenant_id(), role_id)

    @roles_blp.arguments(RoleIn(partial=True))
    @roles_blp.response(200, RoleOut)
    def patch(self, data: dict, role_id: uuid.UUID) -> object:
        """Change some fields; a status change must move forward (409 otherwise)."""
        return roles.update(db_session(), tenant_id(), role_id, data, actor())


@roles_blp.route("/<uuid:role_id>/shortlist")
class Shortlist(MethodView):
    @roles_blp.arguments(PageQuery, location="query")
    @roles_blp.response(200, ShortlistPage)
    def get(self, args: dict, role_id: uuid.UUID) -> dict:
        """The people shortlisted for the role, in the order they were added."""
        return page_body(roles.shortlist(db_session(), tenant_id(), role_id, **page_args(args)))

    @roles_blp.arguments(ShortlistIn)
    @roles_blp.response(201, ShortlistEntryOut)
    def post(self, data: dict, role_id: uuid.UUID) -> object:
        """Add a person to the shortlist; a person is listed once per role."""
        return roles.add_to_shortlist(db_session(), tenant_id(), role_id, data, actor())


@roles_blp.route("/<uuid:role_id>/shortlist/<uuid:person_id>", methods=["DELETE"])
@roles_blp.response(204)
def remove_from_shortlist(role_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """Take a person off the shortlist."""
    roles.remove_from_shortlist(db_session(), tenant_id(), role_id, person_id, actor())


@roles_blp.route("/<uuid:role_id>/suggestions")
@roles_blp.arguments(SuggestionQuery, location="query")
@roles_blp.response(200, SuggestionList)
def suggestions(args: dict, role_id: uuid.UUID) -> dict:
    """Passive people matching the role's title, keywords and location, each with the words that matched."""
    return {"data": matching.suggest(db_session(), tenant_id(), role_id, limit=args["limit"])}
