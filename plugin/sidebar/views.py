"""The embedded sidebar: GET /sidebar/launch?jwt=… verifies a signed launch and redirects the frame to the
sidebar page, GET /sidebar/view?token=…, which shows the person; small JSON endpoints under /sidebar/api/…
carry the quick actions and answer with the re-rendered sidebar body.

Inside a cross-site iframe cookies cannot be relied on, so the sidebar's session is a short-lived token
(`tokens.py`). The launch link is single-use, so the launch does not show the sidebar itself: it spends the
link and answers 303 See Other to the page URL, which carries the token instead. A reload of the frame (the
browser's, or the ATS's) loads that URL again and shows the sidebar for as long as the token lives, never
"link already used"; the redirect also keeps the launch link out of the frame's history. The page carries
the token in a meta tag and sidebar.js sends it as a bearer header. Every response sets its own CSP:
`frame-ancestors` is 'self' plus exactly the tenant's configured ATS origins, and no X-Frame-Options is
sent (it would forbid the framing the CSP allows); `Referrer-Policy: no-referrer` keeps the token in the
page's URL from leaving with a link or a request, and `Cache-Control: no-store` keeps it out of caches.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import jwt
from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date, format_number
from marshmallow import Schema, ValidationError

from plugin import error_texts
from plugin.browser import pages
from plugin.core import guards
from plugin.core.actors import Actor
from plugin.errors import DomainError, envelope
from plugin.extension import db_session, get_state
from plugin.followups.views import queue_url
from plugin.i18n import LANGUAGES, force_locale, gettext, lazy_gettext, pick_language
from plugin.login.account import handoff_url
from plugin.models import Origin, Recruiter, Tenant, utcnow
from plugin.sidebar import actions, launch, panel, schemas, tokens

bp = Blueprint("brobygger_sidebar", __name__)

_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")
_STATUS_LABELS = {"passive": lazy_gettext("Passive"), "in_process": lazy_gettext("In process"),
                  "hired": lazy_gettext("Hired")}


def frame_ancestors(origins: list[Any] | None, frame: str | None = None) -> str:
    """'self' and the tenant's ATS origins that are well-formed (nothing can smuggle in another directive), and
    for a sidebar the browser extension opened, the sites of the kind of page it opened on."""
    kind = pages.KINDS.get(frame) if frame else None
    allowed = [str(o).rstrip("/") for o in [*(origins or []), *(kind.frame_origins if kind else ())]
               if _ORIGIN.match(str(o).rstrip("/"))]
    return " ".join(["'self'", *dict.fromkeys(allowed)])


@bp.after_request
def _sidebar_headers(response: Response) -> Response:
    ancestors = g.get("sidebar_frame_ancestors") or "'none'"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}")
    response.headers.pop("X-Frame-Options", None)
    response.headers["Referrer-Policy"] = "no-referrer"  # the launch URL carries a token
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def language(recruiter: Recruiter | None, tenant: Tenant | None) -> str:
    """The recruiter's setting, then the tenant's default, then the browser's preference. Their region and
    time zone go on `g` for `_render` (numbers and dates as written where they are)."""
    g.brobygger_region = recruiter.region if recruiter else None
    g.brobygger_time_zone = recruiter.time_zone if recruiter else None
    return pick_language(recruiter.language if recruiter else None, tenant.default_language if tenant else None,
                         request.accept_languages.best_match(LANGUAGES))


def _formatters(zone: ZoneInfo) -> dict[str, Any]:
    """Dates in the recruiter's time zone and numbers, in the chosen locale (format_* read it at call time)."""

    def day(moment: Any) -> str:
        return format_date(moment.astimezone(zone).date(), "medium") if moment else ""

    def day_only(value: Any) -> str:
        return format_date(value, "medium") if value else ""

    return {"fmt_day": day, "fmt_day_only": day_only, "fmt_number": format_number,
            "status_label": lambda s: str(_STATUS_LABELS[s])}


def _render(template: str, lang: str, zone: ZoneInfo, **context: Any) -> str:
    with force_locale(lang, g.get("brobygger_region")):
        return render_template(template, lang=lang, **_formatters(zone), **context)


# --- launch -----------------------------------------------------------------------------------------------

@bp.get(launch.LAUNCH_PATH)
def launch_sidebar() -> Any:
    state = get_state()
    token = request.args.get("jwt", "")
    session = db_session()
    try:
        if not token:
            raise launch.LaunchError(lazy_gettext("The launch link carries no token."))
        path = request.path.removeprefix(state.url_prefix)
        bearer = launch.verify(session, state.vault, state.redis, token, request.method, path,
                               request.args.items(multi=True))
    except launch.LaunchError as exc:
        return _refused(exc.args[0], _claimed_tenant(token), _claimed(token).get(launch.FRAME))
    g.sidebar_frame_ancestors = frame_ancestors(bearer.tenant.ats_origins, bearer.grant.frame)
    # The launch link is spent: the frame moves to a URL a reload can load again.
    return redirect(page_url(tokens.issue(state.setting("SECRET_KEY"), bearer.grant)), 303)


def page_url(token: str) -> str:
    return url_for("brobygger_sidebar.sidebar_page", token=token)


@bp.get("/sidebar/view")
def sidebar_page() -> Any:
    """The sidebar for the token in the URL: the launch's redirect, and every reload of the frame after it."""
    session = db_session()
    secret = get_state().setting("SECRET_KEY")
    token = request.args.get("token", "")
    try:
        bearer = tokens.read(session, secret, token)
    except tokens.TokenError as exc:
        claimed = tokens.claimed_tenant(secret, token)
        return _refused(_session_refusal(exc), session.get(Tenant, claimed) if claimed else None,
                        tokens.claimed_frame(secret, token))
    granted, me = bearer.grant, bearer.recruiter
    g.sidebar_frame_ancestors = frame_ancestors(bearer.tenant.ats_origins, bearer.grant.frame)
    lang, zone = language(me, bearer.tenant), ZoneInfo(me.time_zone or "UTC")
    if granted.person_id is None:
        return _render("brobygger/sidebar_unknown.html", lang, zone, ctx=granted.ctx, token=token,
                       trackable=_trackable(granted.ctx))
    return _render("brobygger/sidebar.html", lang, zone, token=token,
                   **_body(granted.person_id, me, granted.handoff))


def _session_refusal(exc: tokens.TokenError) -> Any:
    if str(exc) == "expired":
        return lazy_gettext("This sidebar has been open too long. Open it again from the ATS.")
    return lazy_gettext("This sidebar's session is not valid. Open it again from the ATS.")


def _trackable(ctx: dict[str, Any]) -> bool:
    return bool(ctx.get("vendor") and ctx.get("candidate_id"))


def _claimed(token: str) -> dict[str, Any]:
    """A refused launch link's claims, unchecked: only to choose who may frame the refusal (which shows no data)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _claimed_tenant(token: str) -> Tenant | None:
    """The tenant a refused token claims, only to let its own ATS frame the refusal (which shows no data)."""
    try:
        return db_session().get(Tenant, uuid.UUID(str(_claimed(token)["iss"])))
    except (KeyError, ValueError, TypeError):
        return None


def _refused(reason: Any, tenant: Tenant | None, frame: Any = None) -> Any:
    g.sidebar_frame_ancestors = frame_ancestors(tenant.ats_origins, frame if isinstance(frame, str) else None) \
        if tenant else None
    lang = language(None, None)  # nothing is verified: the browser's language
    return _render("brobygger/refused.html", lang, ZoneInfo("UTC"), reason=reason), 401


def _body(person_id: uuid.UUID, me: Recruiter, handoff: bool,
          notices: list[panel.Notice] | None = None) -> dict[str, Any]:
    """The sidebar's body; its queue link signs `me` in only when the launch came from `me`'s own ATS session
    (otherwise it is the plain queue page, which asks whoever opens it to sign in). `notices`: what the action
    just taken did besides what was asked, one line each."""
    view = panel.view(db_session(), me.tenant_id, person_id, me.id, cache=get_state().redis)
    today = utcnow().astimezone(ZoneInfo(me.time_zone or "UTC")).date().isoformat()  # the date pickers' bound
    # "Write a message" drafts one about the next follow-up, if any, in a new tab (signed in like the queue's).
    about = {"followup_id": view.next_followup.id} if view.next_followup is not None else {}
    message_path = url_for("brobygger_messages.new", person_id=person_id, **about)
    return {"view": view, "queue_url": handoff_url(me) if handoff else queue_url(), "notices": notices or [],
            "message_url": handoff_url(me, message_path) if handoff else message_path,
            "today": today,
            "snooze_presets": ("1w", "1m", "2m", "6m"), "followup_presets": schemas.FOLLOWUP_PRESETS}


# --- quick actions ------------------------------------------------------------------------------------------

Handler = Callable[[tokens.SidebarGrant, Recruiter, dict[str, Any], Actor], Any]


def _on_person(act: Callable[..., Any], with_me: bool = False) -> Handler:
    def run(grant: tokens.SidebarGrant, me: Recruiter, data: dict[str, Any], actor: Actor) -> Any:
        if grant.person_id is None:
            raise _Refusal(409, gettext("Start tracking this candidate first."))
        args = (me,) if with_me else ()
        return act(db_session(), grant.tenant_id, grant.person_id, *args, data, actor)

    return run


def _track(grant: tokens.SidebarGrant, me: Recruiter, _data: dict[str, Any], actor: Actor) -> uuid.UUID:
    if grant.person_id is not None:
        return grant.person_id
    return actions.start_tracking(db_session(), get_state().vault, grant.tenant_id, me, grant.ctx, actor)


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


ACTIONS: dict[str, tuple[type[Schema], Handler, Any]] = {
    "touch": (schemas.TouchIn, _on_person(actions.log_touch, with_me=True), lazy_gettext("Touch logged.")),
    "followup": (schemas.FollowUpIn, _on_person(actions.schedule, with_me=True),
                 lazy_gettext("Follow-up scheduled.")),
    "snooze": (schemas.SnoozeIn, _on_person(actions.snooze), lazy_gettext("Follow-up snoozed.")),
    "done": (schemas.DoneIn, _on_person(actions.complete),
             lazy_gettext("Follow-up done; the touch is logged.")),
    "referral": (schemas.ReferralIn, _on_person(actions.log_referral, with_me=True),
                 lazy_gettext("Referral logged.")),
    "shortlist": (schemas.ShortlistIn, _on_person(actions.shortlist), lazy_gettext("Added to the shortlist.")),
    "track": (schemas.BaseSchema, _track, lazy_gettext("Now tracking this candidate.")),
}


def _invalid(exc: ValidationError) -> Response:
    """A 422 whose message says, in the recruiter's language and without field names, what to do about every
    refused field (error_texts words the schemas' English)."""
    return envelope(422, " ".join(error_texts.sentences(exc.messages)), error_texts.field_messages(exc.messages))


def _domain_refusal(exc: DomainError) -> Response:
    """A refused date is said in the recruiter's language; other refusals keep the service's words."""
    if isinstance(exc, guards.DateRuleError):
        message = guards.said(exc.rule)
        return envelope(exc.status, message, {field: [message] for field in exc.errors})
    # Other refusals: the service's English as what to do, in the recruiter's language (error_texts).
    return envelope(exc.status, error_texts.sentence(exc.message,
                                                     fallback=lambda: error_texts.status_sentence(exc.status)))


@bp.post("/sidebar/api/<action>")
def quick_action(action: str) -> Any:
    if action not in ACTIONS:
        return envelope(404, f"No sidebar action {action!r}.")
    session = db_session()
    state = get_state()
    lang, claimed = language(None, None), ""
    try:
        bearer = _bearer()
        grant, me = bearer.grant, bearer.recruiter
        g.sidebar_frame_ancestors = frame_ancestors(bearer.tenant.ats_origins, bearer.grant.frame)
        lang, zone = language(me, bearer.tenant), ZoneInfo(me.time_zone or "UTC")
        with force_locale(lang):
            schema, handler, done = ACTIONS[action]
            try:
                data = schema().load(request.get_json(silent=True) or {})
            except ValidationError as exc:
                return _invalid(exc)
            if action != "track" and grant.person_id is not None:  # tracking twice is harmless
                claimed = actions.claim(state.redis, grant.tenant_id, me.id, grant.person_id, action, data) or ""
                if not claimed:
                    return _answer(grant, me, lang, zone, gettext("This was just done; it counts once."))
            before = panel.automatic_followups(session, grant.tenant_id, grant.person_id) if grant.person_id else None
            result = handler(grant, me, data, Actor("recruiter", str(me.id), Origin.SIDEBAR))
            referral, new = result if action == "referral" else (None, True)
            message = str(done) if new else gettext("This referral was logged before; merged.")
    except BaseException as exc:
        if claimed:  # refused or failed: the same action may be sent again at once
            actions.unclaim(state.redis, claimed)
        if isinstance(exc, _Refusal):
            return envelope(exc.status, exc.message)
        if isinstance(exc, DomainError):
            session.rollback()
            with force_locale(lang):
                return _domain_refusal(exc)
        raise
    session.expire_all()  # the body shows what was stored (enums, defaults), not the objects the action built
    notices = panel.notices(session, grant.tenant_id, grant.person_id, before,
                            referral if new else None) if before is not None else []
    if action == "track":
        tracked = replace(grant, person_id=result, ctx={})
        return _answer(tracked, me, lang, zone, message, tokens.issue(state.setting("SECRET_KEY"), tracked))
    return _answer(grant, me, lang, zone, message, notices=notices)


def _answer(grant: tokens.SidebarGrant, me: Recruiter, lang: str, zone: ZoneInfo, message: str,
            new_token: str | None = None, notices: list[panel.Notice] | None = None) -> Response:
    """The re-rendered body; after tracking starts, the new token and the page URL that carries it (the
    script puts it in the address, so that a reload opens the tracked person)."""
    body: dict[str, Any] = {"message": message}
    if grant.person_id is not None:
        body["html"] = _render("brobygger/_sidebar_body.html", lang, zone,
                               **_body(grant.person_id, me, grant.handoff, notices))
    if new_token:
        body.update(token=new_token, url=page_url(new_token))
    return jsonify(body)


def _bearer() -> tokens.Bearer:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _Refusal(401, gettext("This sidebar has no session. Open it again from the ATS."))
    try:
        return tokens.read(db_session(), get_state().setting("SECRET_KEY"), token.strip())
    except tokens.TokenError as exc:
        raise _Refusal(401, str(_session_refusal(exc))) from None
