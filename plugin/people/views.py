"""Role pages: the list (filtered by status) with a create form, and one role with its status moves,
shortlist (with a note per person) and suggested passive candidates. Rules stay in `roles.py`."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from plugin import error_texts
from plugin.errors import ConflictError, DomainError
from plugin.extension import db_session
from plugin.i18n import gettext
from plugin.login import account
from plugin.models import RoleStatus
from plugin.people import matching, people, roles
from plugin.people.roles import TRANSITIONS
from plugin.people.schemas import RoleIn, ShortlistIn

bp = Blueprint("brobygger_roles", __name__)
account.setup(bp)

LIST_LIMIT, SHORTLIST_LIMIT, SEARCH_LIMIT, SUGGESTION_LIMIT = 50, 200, 10, 20
FORM_FIELDS = ("title", "description", "status", "expected_opening_on", "location", "keywords")


@bp.get("/roles")
@account.require_recruiter
def list_roles() -> Any:
    return _list_page({}, {})


def _list_page(form: dict[str, str], errors: dict[str, list[str]], status_code: int = 200) -> Any:
    me = account.recruiter()
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in RoleStatus)}:
        status = None
    page = roles.list_(db_session(), me.tenant_id, status=status, limit=LIST_LIMIT,
                       cursor=request.args.get("cursor") or None)
    next_url = url_for(".list_roles", status=status, cursor=page.next_cursor) if page.next_cursor else None
    return render_template("brobygger/roles.html", roles=page.items, status=status, statuses=list(RoleStatus),
                           next_url=next_url, form=form, errors=errors, status_label=_status_label), status_code


@bp.post("/roles")
@account.require_recruiter
def create_role() -> Any:
    form = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    try:
        data = RoleIn().load(_role_data(form))
    except ValidationError as exc:
        return _list_page(form, _messages(exc), 422)
    me = account.recruiter()
    role = roles.create(db_session(), me.tenant_id, {**data, "owner_id": me.id}, account.actor())
    flash(gettext("Role created."))
    return redirect(url_for(".role_page", role_id=role.id))


def _role_data(form: dict[str, str]) -> dict[str, Any]:
    """Form text to the API schema's shape: empty optional fields left out, keywords comma-separated."""
    data: dict[str, Any] = {k: v for k, v in form.items() if v and k != "keywords"}
    if "title" not in data:
        data["title"] = ""
    keywords = [k.strip() for k in form.get("keywords", "").split(",") if k.strip()]
    if keywords:
        data["keywords"] = keywords
    return data


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    """The schema's English messages as the page says them, under each field (error_texts)."""
    return error_texts.field_messages(exc.messages)


@bp.get("/roles/<uuid:role_id>")
@account.require_recruiter
def role_page(role_id: uuid.UUID) -> Any:
    return _role_page(role_id)


def _role_page(role_id: uuid.UUID, error: str | None = None, status_code: int = 200) -> Any:
    me = account.recruiter()
    session = db_session()
    role = roles.get(session, me.tenant_id, role_id)
    shortlist = roles.shortlist(session, me.tenant_id, role.id, limit=SHORTLIST_LIMIT).items
    listed = {item.person_id for item in shortlist}
    query = request.args.get("q", "").strip()[:100]
    found = people.search(session, me.tenant_id, q=query, limit=SEARCH_LIMIT).items if query else []
    return render_template("brobygger/role.html", role=role, moves=sorted(TRANSITIONS[role.status], key=_order),
                           shortlist=shortlist, listed=listed, query=query, found=found,
                           suggestions=_suggestions(me.tenant_id, role.id), error=error,
                           status_label=_status_label, field_label=_field_label), status_code


def _order(status: RoleStatus) -> int:
    return list(RoleStatus).index(status)


def _suggestions(tenant_id: uuid.UUID, role_id: uuid.UUID) -> list[matching.Suggestion]:
    """Passive people matching the role's title, keywords and location, with the words that matched."""
    return matching.suggest(db_session(), tenant_id, role_id, limit=SUGGESTION_LIMIT)


def _field_label(name: str) -> str:
    labels = {"title": gettext("title"), "skills": gettext("skills"), "employer": gettext("employer"),
              "location": gettext("location")}
    return labels.get(name, name)


@bp.post("/roles/<uuid:role_id>/status")
@account.require_recruiter
def move(role_id: uuid.UUID) -> Any:
    """Only the moves `roles.py` allows; any other (a stale page, a forged form) shows why not."""
    me = account.recruiter()
    status = request.form.get("status", "")
    if status not in {s.value for s in RoleStatus}:
        return _role_page(role_id, gettext("Unknown status."), 422)
    try:
        roles.update(db_session(), me.tenant_id, role_id, {"status": status}, account.actor())
    except ConflictError:
        db_session().rollback()
        role = roles.get(db_session(), me.tenant_id, role_id)
        return _role_page(role_id, gettext("A role cannot move from %(old)s to %(new)s.",
                                           old=_status_label(role.status), new=_status_label(status)), 409)
    flash(gettext("Status changed to %(status)s.", status=_status_label(status)))
    return redirect(url_for(".role_page", role_id=role_id))


def _status_label(status: str) -> str:
    labels = {"anticipated": gettext("anticipated"), "confidential": gettext("confidential"),
              "advertised": gettext("advertised"), "filled": gettext("filled"), "dropped": gettext("dropped")}
    return labels.get(str(status), str(status))


@bp.post("/roles/<uuid:role_id>/shortlist")
@account.require_recruiter
def add_to_shortlist(role_id: uuid.UUID) -> Any:
    me = account.recruiter()
    try:
        data = ShortlistIn().load({"person_id": request.form.get("person_id", ""),
                                   "note": request.form.get("note", "").strip()})
        roles.add_to_shortlist(db_session(), me.tenant_id, role_id, data, account.actor())
    except ValidationError as exc:
        return _role_page(role_id, " ".join(error_texts.sentences(exc.messages)), 422)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db_session().rollback()
        return _role_page(role_id, _shortlist_error(exc), exc.status)
    flash(gettext("Added to the shortlist."))
    return redirect(url_for(".role_page", role_id=role_id))


def _shortlist_error(exc: DomainError) -> str:
    if isinstance(exc, ConflictError):
        return gettext("This person is on the shortlist already.")
    return gettext("That person could not be found.")


@bp.post("/roles/<uuid:role_id>/shortlist/<uuid:person_id>/remove")
@account.require_recruiter
def remove_from_shortlist(role_id: uuid.UUID, person_id: uuid.UUID) -> Any:
    me = account.recruiter()
    roles.remove_from_shortlist(db_session(), me.tenant_id, role_id, person_id, account.actor())
    flash(gettext("Removed from the shortlist."))
    return redirect(url_for(".role_page", role_id=role_id))
