"""GET /queue: the signed-in recruiter's follow-up queue; POST actions on one follow-up, each redirecting
back to the page the recruiter was on (filters and page kept). Every lookup is scoped to the session's
tenant, so another tenant's follow-up id is a 404 like any unknown id.

GET /calendar/<token>.ics: a recruiter's follow-ups for their calendar app, by secret URL only. Calendar
apps poll without cookies or headers, so the URL is the credential: an unknown, replaced or revoked token
is a plain 404, the same answer as for a URL that never existed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from plugin.core.lookup import get_owned
from plugin.extension import db_session, get_state
from plugin.followups import calendar, followups
from plugin.followups import queue as queue_service
from plugin.followups.schemas import SNOOZE_PRESETS
from plugin.i18n import force_locale, gettext
from plugin.login import account
from plugin.models import Person, Recruiter, Role, TouchpointKind, utcnow
from plugin.sidebar import launch
from plugin.tenancy import tenants

# --- the queue -----------------------------------------------------------------------------------------------

queue_bp = Blueprint("brobygger_queue", __name__)
account.setup(queue_bp)

DEFAULT_LIMIT, MAX_LIMIT = 25, 100


@queue_bp.get("/queue")
@account.require_recruiter
def queue() -> Any:
    me = account.recruiter()
    session = db_session()
    filters = queue_service.Filters(owner_id=_recruiter_arg("owner", me.id), role_id=_role_arg(), tag=_tag_arg())
    sections = queue_service.build(session, me.tenant_id, filters, now=utcnow(), time_zone=me.time_zone,
                                   limit=_limit_arg(), cursors={name: request.args.get(f"{name}_cursor")
                                                                for name in queue_service.SECTIONS})
    recruiters = session.scalars(select(Recruiter).where(Recruiter.tenant_id == me.tenant_id,
                                                         Recruiter.active.is_(True)).order_by(Recruiter.name))
    roles = session.scalars(select(Role).where(Role.tenant_id == me.tenant_id).order_by(Role.title, Role.id))
    return render_template("brobygger/queue.html", sections=sections, filters=filters, recruiters=list(recruiters),
                           roles=list(roles), presets=SNOOZE_PRESETS, now=utcnow(),
                           page_url=_page_url, here=request.full_path.rstrip("?"))


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


def _back() -> Any:
    return redirect(account.safe_next(request.form.get("next"), url_for("brobygger_queue.queue")))


@queue_bp.post("/queue/<uuid:followup_id>/done")
@account.require_recruiter
def done(followup_id: uuid.UUID) -> Any:
    """Done means a touch happened: the service logs it as a touchpoint, which resets the cadence."""
    me = account.recruiter()
    kind = request.form.get("kind", TouchpointKind.MESSAGE.value)
    if kind not in {k.value for k in TouchpointKind}:
        abort(422)
    summary = request.form.get("summary", "").strip()[:5000]
    completion = followups.complete(db_session(), me.tenant_id, followup_id, {"kind": kind, "summary": summary},
                                    account.actor())
    flash(gettext("Done: %(reason)s", reason=completion.followup.reason))
    return _back()


@queue_bp.post("/queue/<uuid:followup_id>/snooze")
@account.require_recruiter
def snooze(followup_id: uuid.UUID) -> Any:
    preset = request.form.get("preset", "")
    if preset not in SNOOZE_PRESETS:
        abort(422)
    me = account.recruiter()
    followup = followups.snooze(db_session(), me.tenant_id, followup_id, {"preset": preset}, account.actor())
    flash(gettext("Snoozed until %(day)s.", day=_local_day(followup.due_at, me.time_zone)))
    return _back()


@queue_bp.post("/queue/<uuid:followup_id>/reschedule")
@account.require_recruiter
def reschedule(followup_id: uuid.UUID) -> Any:
    """The date and time are the recruiter's local ones; stored in UTC."""
    me = account.recruiter()
    due_at = _local_moment(request.form.get("date", ""), request.form.get("time", "") or "09:00", me.time_zone)
    followup = followups.reschedule(db_session(), me.tenant_id, followup_id, due_at, account.actor())
    flash(gettext("Rescheduled to %(day)s.", day=_local_day(followup.due_at, me.time_zone)))
    return _back()


def _local_moment(day: str, clock: str, time_zone: str) -> datetime:
    try:
        local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), ZoneInfo(time_zone))
    except ValueError:
        abort(422, gettext("Give a date (YYYY-MM-DD) and a time (HH:MM)."))
    if not 1900 <= local.year <= 2200:
        abort(422, gettext("Give a date (YYYY-MM-DD) and a time (HH:MM)."))
    return local.astimezone(UTC)


def _local_day(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")


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
    with force_locale(recruiter.language):
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
