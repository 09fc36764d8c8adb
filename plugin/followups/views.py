"""GET /queue: the signed-in recruiter's follow-up queue; POST actions on one follow-up. A plain form POST
redirects back to the page the recruiter was on (filters and page kept); the page's script sends the same
forms with fetch() and `Accept: application/json` and gets JSON instead (errors in the one envelope), so the
row can leave without a reload. Done and snooze can be undone for ten seconds (`undo.py`). Every lookup is
scoped to the session's tenant, so another tenant's follow-up id is a 404 like any unknown id.

GET /calendar/<token>.ics: a recruiter's follow-ups for their calendar app, by secret URL only. Calendar
apps poll without cookies or headers, so the URL is the credential: an unknown, replaced or revoked token
is a plain 404, the same answer as for a URL that never existed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask import session as page_session
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from plugin.core import guards
from plugin.core.lookup import get_owned
from plugin.errors import ConflictError, DomainError, NotFoundError, envelope, http_envelope
from plugin.extension import db_session, get_state, handle_domain_error, handle_http_error
from plugin.followups import calendar, followups, reasons, undo
from plugin.followups import queue as queue_service
from plugin.followups.schemas import SNOOZE_PRESETS
from plugin.formats import current_locale, current_zone, date_time
from plugin.i18n import force_locale, gettext
from plugin.login import account
from plugin.models import Person, Recruiter, Role, TouchpointKind, utcnow
from plugin.sidebar import launch
from plugin.tenancy import tenants

# --- the queue -----------------------------------------------------------------------------------------------

queue_bp = Blueprint("brobygger_queue", __name__)
account.setup(queue_bp)
# `{{ followup|reason }}`: a follow-up's reason in the reader's language, on every page and in every e-mail.
queue_bp.add_app_template_filter(reasons.text, "reason")

DEFAULT_LIMIT, MAX_LIMIT = 25, 100
UNDO_OFFER_KEY = "brobygger_undo"  # the follow-up a form POST (no script) just completed or snoozed


@queue_bp.get("/queue")
@account.require_recruiter
def queue() -> Any:
    me = account.recruiter()
    db = db_session()
    now = utcnow()
    filters = queue_service.Filters(owner_id=_recruiter_arg("owner", me.id), role_id=_role_arg(), tag=_tag_arg())
    found = queue_service.load(db, me.tenant_id, filters, now=now, time_zone=me.time_zone, limit=_limit_arg(),
                               cursors={name: request.args.get(f"{name}_cursor") for name in queue_service.SECTIONS})
    # The filters' choices as plain rows: the page shows an id and a name of each, nothing else.
    recruiters = db.execute(select(Recruiter.id, Recruiter.name).where(
        Recruiter.tenant_id == me.tenant_id, Recruiter.active.is_(True)).order_by(Recruiter.name)).all()
    roles = db.execute(select(Role.id, Role.title).where(Role.tenant_id == me.tenant_id)
                       .order_by(Role.title, Role.id)).all()
    # Looked up once for the page: the reader's zone and locale, which the rows' date filters are given, and the
    # reasons already written (`reasons.text`'s `seen`).
    return render_template("brobygger/queue.html", queue=found, filters=filters, recruiters=recruiters,
                           owners={r.id: r.name for r in recruiters}, roles=roles, presets=SNOOZE_PRESETS,
                           now=now, page_url=_page_url, here=request.full_path.rstrip("?"),
                           undo_offer=_undo_offer(now), zone=current_zone(), locale=current_locale(),
                           reasons_seen={})


def _undo_offer(now: datetime) -> uuid.UUID | None:
    """The follow-up whose completion or snooze a page without script can still undo (a button by the flash)."""
    raw = page_session.pop(UNDO_OFFER_KEY, None)
    if not raw:
        return None
    followup_id = uuid.UUID(raw)
    me = account.recruiter()
    return followup_id if undo.pending(get_state().redis, me.tenant_id, followup_id, account.actor(), now) else None


def _recruiter_arg(name: str, default: uuid.UUID) -> uuid.UUID:
    value = _uuid_arg(name)
    if value is None:
        return default
    return get_owned(db_session(), Recruiter, account.recruiter().tenant_id, value, "recruiter").id


def _role_arg() -> uuid.UUID | None:
    value = _uuid_arg("role")
    if value is None:
        return None
    return get_owned(db_session(), Role, account.recruiter().tenant_id, value, "role").id


def _uuid_arg(name: str) -> uuid.UUID | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        abort(404)


def _tag_arg() -> str | None:
    return request.args.get("tag", "").strip()[:100] or None


def _limit_arg() -> int:
    try:
        return min(max(int(request.args.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
    except ValueError:
        return DEFAULT_LIMIT


def _page_url(section: str, cursor: str | None) -> str:
    """This page with one section moved to `cursor` (the first page when None); other arguments kept."""
    args = {k: v for k, v in request.args.items() if k != f"{section}_cursor"}
    if cursor:
        args[f"{section}_cursor"] = cursor
    return url_for("brobygger_queue.queue", **args)


def _wants_json() -> bool:
    """The page's script asks for JSON; a browser submitting the form without it asks for HTML."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _answer(message: str, followup_id: uuid.UUID, undoable: bool) -> Any:
    """JSON for the script (with the undo URL), else the flash and the way back to the page."""
    if _wants_json():
        return jsonify({"message": message, "id": str(followup_id),
                        "undo_url": url_for("brobygger_queue.undo_action", followup_id=followup_id)
                        if undoable else None})
    flash(message)
    if undoable:
        page_session[UNDO_OFFER_KEY] = str(followup_id)
    return redirect(account.safe_next(request.form.get("next"), url_for("brobygger_queue.queue")))


@queue_bp.errorhandler(DomainError)
def _refused(exc: DomainError) -> Any:
    """The queue's refusals in the recruiter's language; in the JSON envelope when the script asked."""
    db_session().rollback()
    message = _refusal_text(exc)
    if _wants_json():
        return envelope(exc.status, message, exc.errors)
    shown = DomainError(message, exc.errors)
    shown.status = exc.status
    return handle_domain_error(shown)


@queue_bp.errorhandler(HTTPException)
def _http_refused(exc: HTTPException) -> Any:
    return http_envelope(exc) if _wants_json() else handle_http_error(exc)


def _refusal_text(exc: DomainError) -> str:
    if isinstance(exc, guards.DateRuleError):  # a day before today (in the recruiter's time zone), and the like
        return guards.said(exc.rule)
    if isinstance(exc, undo.TooLate):
        return gettext("Too late to undo: that was more than %(seconds)s seconds ago.",
                       seconds=undo.WINDOW.seconds)
    if isinstance(exc, undo.ChangedSince):
        return gettext("The follow-up has changed since, so nothing was undone.")
    if isinstance(exc, undo.NothingToUndo):
        return gettext("There is nothing to undo.")
    if "followup_id" not in (request.view_args or {}):  # the page's own filters name what they did not find
        return exc.message
    if isinstance(exc, NotFoundError):
        return gettext("This follow-up could not be found.")
    if isinstance(exc, ConflictError):
        return gettext("This follow-up has been done or cancelled already. Reload the page to see the queue now.")
    return exc.message


@queue_bp.post("/queue/<uuid:followup_id>/done")
@account.require_recruiter
def done(followup_id: uuid.UUID) -> Any:
    """Done means a touch happened: the service logs it as a touchpoint, which resets the cadence."""
    me = account.recruiter()
    kind = request.form.get("kind", TouchpointKind.MESSAGE.value)
    if kind not in {k.value for k in TouchpointKind}:
        abort(422)
    summary = request.form.get("summary", "").strip()[:5000]
    completion = undo.complete(db_session(), get_state().redis, me.tenant_id, followup_id,
                               {"kind": kind, "summary": summary}, account.actor(), utcnow())
    return _answer(gettext("Done: %(reason)s", reason=reasons.text(completion.followup)), followup_id, True)


@queue_bp.post("/queue/<uuid:followup_id>/snooze")
@account.require_recruiter
def snooze(followup_id: uuid.UUID) -> Any:
    preset = request.form.get("preset", "")
    if preset not in SNOOZE_PRESETS:
        abort(422)
    me = account.recruiter()
    followup = undo.snooze(db_session(), get_state().redis, me.tenant_id, followup_id, {"preset": preset},
                           account.actor(), utcnow())
    return _answer(gettext("Snoozed until %(day)s.", day=_local_day(followup.due_at, me.time_zone)), followup_id,
                   True)


@queue_bp.post("/queue/<uuid:followup_id>/undo")
@account.require_recruiter
def undo_action(followup_id: uuid.UUID) -> Any:
    """Take back this recruiter's completion or snooze of the follow-up, made at most ten seconds ago."""
    me = account.recruiter()
    _action, followup = undo.undo(db_session(), get_state().redis, me.tenant_id, followup_id, account.actor(),
                                  utcnow())
    return _answer(gettext("Undone: %(reason)s is back in the queue.", reason=reasons.text(followup)), followup_id,
                   False)


@queue_bp.post("/queue/<uuid:followup_id>/reschedule")
@account.require_recruiter
def reschedule(followup_id: uuid.UUID) -> Any:
    """The date and time are the recruiter's local ones; stored in UTC."""
    me = account.recruiter()
    due_at = _local_moment(request.form.get("date", ""), request.form.get("time", "") or "09:00", me.time_zone)
    followup = followups.reschedule(db_session(), me.tenant_id, followup_id, due_at, account.actor())
    return _answer(gettext("Rescheduled to %(day)s.", day=_local_day(followup.due_at, me.time_zone)), followup_id,
                   False)


def _local_moment(day: str, clock: str, time_zone: str) -> datetime:
    try:
        local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), ZoneInfo(time_zone))
    except ValueError:
        abort(422, gettext("Give a date (YYYY-MM-DD) and a time (HH:MM)."))
    if not 1900 <= local.year <= 2200:
        abort(422, gettext("Give a date (YYYY-MM-DD) and a time (HH:MM)."))
    return local.astimezone(UTC)


def _local_day(moment: datetime, time_zone: str) -> str:
    return date_time(moment, time_zone)


@queue_bp.get("/queue/people/<uuid:person_id>/sidebar")
@account.require_recruiter
def open_sidebar(person_id: uuid.UUID) -> Any:
    """Open a person's sidebar from the queue: sign a fresh launch as the ATS would, for this recruiter."""
    me = account.recruiter()
    session = db_session()
    person = get_owned(session, Person, me.tenant_id, person_id, "person")
    state = get_state()
    secret = tenants.sidebar_secret(state.vault, tenants.get(session, me.tenant_id))
    token = launch.sign(secret, me.tenant_id, me.email, {"person_id": str(person.id)})
    return redirect(url_for("brobygger_sidebar.launch_sidebar", jwt=token))


# --- the calendar feed ---------------------------------------------------------------------------------------

calendar_bp = Blueprint("brobygger_calendar", __name__)


@calendar_bp.get("/calendar/<token>.ics")
def feed(token: str) -> Any:
    session = db_session()
    recruiter = calendar.recruiter_for(session, token)
    if recruiter is None:
        abort(404)
    with force_locale(recruiter.language, recruiter.region):
        summary = gettext("Follow up: %(name)s", name="{name}")
        body = calendar.feed(session, recruiter, queue_url(), summary=summary)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="brobygger.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def queue_url() -> str:
    state = get_state()
    return f"{state.setting('BASE_URL').rstrip('/')}{state.url_prefix}/queue"


def feed_url(token: str) -> str:
    state = get_state()
    return f"{state.setting('BASE_URL').rstrip('/')}{state.url_prefix}/calendar/{token}.ics"
