"""The ATS's ways in.

`POST /webhooks/<vendor>/<installation_id>`: verify the vendor's signature over the raw body, dedupe,
record, enqueue, and answer 200 at once (Greenhouse counts any other success status as a failure), with a
per-source limit so a flood from one sender never starves another.

`/partners/teamtailor/…`: the endpoints Teamtailor's partner integration calls (/activation, /config,
/webhook), the card's buttons and its link into the sidebar (the protocol and its sources are in
`partners.py`). Their errors are plain text with a 4xx status, which is what Teamtailor shows in the
partner result.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, url_for
from redis.exceptions import RedisError
from sqlalchemy import Engine

from connectors.errors import InvalidId
from plugin.ats import installations, partners, webhooks
from plugin.core import ratelimit
from plugin.core.api import too_many
from plugin.errors import DomainError
from plugin.extension import State, db_session, get_state
from plugin.followups import reasons
from plugin.formats import date_short
from plugin.headers import client_address
from plugin.i18n import LANGUAGES, force_locale, gettext, pick_language
from plugin.login import account
from plugin.models import Installation, Recruiter, Tenant, Vendor
from plugin.observability import metrics
from plugin.sidebar import launch
from plugin.tenancy import tenants

log = logging.getLogger(__name__)
webhooks_bp = Blueprint("brobygger_webhooks", __name__)


@dataclass
class _Intake:
    """Per app and web process: installations as intake last read them, the senders that spent their budget,
    and the engine whose statements commit one by one."""

    engine: Engine
    endpoints: webhooks.Endpoints = field(default_factory=webhooks.Endpoints)
    budgets: ratelimit.SpentBudgets = field(default_factory=ratelimit.SpentBudgets)


INTAKE_KEY = "brobygger.webhook_intake"


def _intake() -> _Intake:
    intake = current_app.extensions.get(INTAKE_KEY)
    if intake is None:
        intake = _Intake(get_state().engine.execution_options(isolation_level="AUTOCOMMIT"))
        current_app.extensions[INTAKE_KEY] = intake
    return intake


def _source() -> str:
    return f"webhook:{(request.view_args or {}).get('installation_id', 'unknown')}:{client_address()}"


@webhooks_bp.before_request
def limit_webhook_source() -> Any:
    """Per installation and sender address: a flood from one source never starves another. A source this
    process knows to have spent its budget is refused before anything is read (`ratelimit.SpentBudgets`)."""
    verdict = _intake().budgets.refused(_source(), get_state().setting("RATE_LIMIT_WEBHOOKS"))
    return None if verdict is None else too_many(verdict)


@webhooks_bp.post("/webhooks/<vendor>/<uuid:installation_id>")
def receive(vendor: str, installation_id: uuid.UUID) -> Any:
    state, intake = get_state(), _intake()
    delivery_id = None
    try:
        receipt, delivery_id = webhooks.receive(intake.engine, intake.endpoints, state.vault, vendor, installation_id,
                                                request.headers, request.get_data(cache=False))
    finally:  # refused or not, the request counts against its source: in the one round trip that enqueues
        _count_and_announce(state, intake, delivery_id)
    g.webhook_outcome = receipt.value
    return jsonify({"status": receipt.value}), 200


def _count_and_announce(state: State, intake: _Intake, delivery_id: uuid.UUID | None) -> None:
    try:
        pipe = state.redis.pipeline()
        pipe.multi()
        learn = intake.budgets.count_on(pipe, _source(), state.setting("RATE_LIMIT_WEBHOOKS"),
                                        state.setting("RATE_LIMIT_WINDOW"))
        if delivery_id is not None:
            webhooks.announce(pipe, state.queue, delivery_id)
        if len(pipe):
            learn(pipe.execute())
    except RedisError as exc:  # the delivery is recorded: the cron tick enqueues it within minutes
        log.warning("webhook not counted or enqueued (%s); the cron tick will enqueue it", type(exc).__name__)


# Intake outcomes other than a receipt, by status: what the sender got and why.
REFUSALS = {400: "invalid", 401: "refused", 404: "not_found", 405: "invalid", 413: "too_large", 422: "invalid",
            429: "rate_limited"}
VENDORS = frozenset(vendor.value for vendor in Vendor)


@webhooks_bp.after_request
def count_webhook(response: Response) -> Response:
    """Webhook intake by vendor and outcome, refusals included; a vendor the URL names that we do not know is
    "unknown" (one label per made-up name would grow without end)."""
    vendor = (request.view_args or {}).get("vendor")
    outcome = g.pop("webhook_outcome", None) or REFUSALS.get(response.status_code, "error")
    metrics.webhook_received(vendor if vendor in VENDORS else "unknown", outcome)
    return response


partners_bp = Blueprint("brobygger_partners", __name__, url_prefix="/partners/teamtailor")


def _plain(message: str, status: int) -> Response:
    return Response(message, status=status, mimetype="text/plain")


def _secret_key() -> str:
    return get_state().setting("SECRET_KEY")


def _installation() -> Installation:
    return partners.authenticate(db_session(), _secret_key(), request.headers.get("Authorization", ""))


def _tenant_language(installation: Installation) -> str:
    tenant = db_session().get(Tenant, installation.tenant_id)
    return pick_language(tenant.default_language if tenant else None)


@partners_bp.get("/activation")
def activation() -> Any:
    """The activation form Teamtailor shows the admin: one field for the connection code."""
    lang = request.accept_languages.best_match(LANGUAGES) or "en"
    with force_locale(lang):
        return jsonify({"config": {"fields": [
            {"type": "infobox", "icon": "info", "content": gettext(
                "Brobygger keeps candidates you met warm for years. Ask your Brobygger administrator for the "
                "connection code of your Teamtailor installation and paste it below.")},
            {"id": "brobygger_code", "type": "text", "label": gettext("Brobygger connection code"),
             "required": True}]}})


@partners_bp.get("/config")
def config() -> Any:
    try:
        installation = _installation()
    except partners.PartnerAuthError as exc:
        return jsonify({"config": {"fields": [{"type": "error", "message": str(exc)}]}})
    with force_locale(_tenant_language(installation)):
        return jsonify({"config": {"fields": [
            {"type": "infobox", "icon": "info", "content": gettext(
                "Adds a Brobygger card to the candidate: the relationship at a glance, a link to the sidebar and "
                "buttons to keep in touch or log a referral.")},
            {"id": "keep_in_touch_months", "type": "select", "label": gettext("Keep in touch after"),
             "options": [{"id": str(m), "label": gettext("%(num)s months", num=m)}
                         for m in partners.KEEP_IN_TOUCH_MONTHS]},
        ]}})


@partners_bp.post("/webhook")
def webhook() -> Any:
    try:
        installation = _installation()
    except partners.PartnerAuthError as exc:
        return _plain(str(exc), 401)
    body = request.get_json(silent=True)
    event = body.get("partner-event") if isinstance(body, dict) else None
    candidate = event.get("candidate") if isinstance(event, dict) else None
    if not isinstance(candidate, dict) or isinstance(candidate.get("id"), bool) \
            or not isinstance(candidate.get("id"), int | str) or not 0 < len(str(candidate["id"])) <= 64:
        return _plain("The webhook carries no candidate.", 422)
    try:  # the id goes into Teamtailor's URLs when a button of the card is pressed
        candidate_id = installations.registry()["teamtailor"].check_candidate_id(candidate["id"])
    except InvalidId:
        return _plain("The webhook's candidate id is not a Teamtailor id.", 422)
    with force_locale(_tenant_language(installation)):
        attributes = card(installation, candidate_id, event)
    result = event.get("partner-result") or {}
    if isinstance(result, dict) and result.get("update-url"):
        partners.push_result(installation, str(result["update-url"]), request.headers["Authorization"],
                       str(result.get("id", "")), attributes)
    return jsonify({"partner-result": attributes})


def _months(event: dict[str, Any]) -> int:
    data = event.get("webhook-data") if isinstance(event.get("webhook-data"), dict) else {}
    try:
        months = int(data.get("keep-in-touch-months") or data.get("keep_in_touch_months") or 3)
    except (TypeError, ValueError):
        months = 3
    return months if months in partners.KEEP_IN_TOUCH_MONTHS else 3


def card(installation: Installation, candidate_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """The Partner Result: a summary line, a few details, the sidebar link and the action buttons."""
    session = db_session()
    facts = partners.facts(session, installation, candidate_id)
    key, months = _secret_key(), _months(event)
    actions = [{"buttonText": gettext("Keep in touch in %(num)s months", num=months),
                "endpoint": _external("act", partners.link_token(key, installation, candidate_id, "keep", m=months))}]
    first = partners.first_referrer(event["candidate"])
    if first:
        token = partners.link_token(key, installation, candidate_id, "referral", r=first)
        actions.append({"buttonText": gettext("Log referral"), "endpoint": _external("act", token)})
    return {"status": "completed", "summary": _summary(facts, installation),
            "url": _external("open", partners.link_token(key, installation, candidate_id)),
            "details": _details(facts, installation), "actions": actions}


def _external(kind: str, token: str) -> str:
    state = get_state()
    path = url_for("brobygger_partners.act" if kind == "act" else "brobygger_partners.open_sidebar", token=token)
    return state.setting("BASE_URL").rstrip("/") + path


def _day(moment: Any, installation: Installation) -> str:
    tenant = db_session().get(Tenant, installation.tenant_id)
    return date_short(moment, tenant.time_zone if tenant else "UTC")


def _summary(facts: partners.CardFacts, installation: Installation) -> str:
    if facts.person is None:
        return gettext("Not tracked in Brobygger yet.")
    parts = [gettext("Last touch %(day)s", day=_day(facts.last_touch_at, installation)) if facts.last_touch_at
             else gettext("No touch logged")]
    if facts.next_followup:
        parts.append(gettext("next follow-up %(day)s", day=_day(facts.next_followup.due_at, installation)))
    if facts.referrer:
        parts.append(gettext("referred by %(name)s", name=facts.referrer))
    return " · ".join(parts)


def _details(facts: partners.CardFacts, installation: Installation) -> dict[str, str]:
    if facts.person is None:
        return {}
    statuses = {"passive": gettext("passive"), "in_process": gettext("in process"), "hired": gettext("hired")}
    status = facts.person.status.value
    details = {gettext("Status"): statuses.get(status, status.replace("_", " "))}
    if facts.next_followup:
        details[gettext("Next follow-up")] = f"{_day(facts.next_followup.due_at, installation)} — " \
                                             f"{reasons.text(facts.next_followup)[:200]}"
    if facts.referrer:
        details[gettext("Referred by")] = facts.referrer
    return details


@partners_bp.post("/actions/<token>")
def act(token: str) -> Any:
    session = db_session()
    try:
        claims = partners.read_link(_secret_key(), token, action=True)
        installation = partners.installation_of(session, claims)
    except partners.PartnerAuthError as exc:
        return _plain(str(exc), 401)
    if claims["a"] not in ("keep", "referral"):
        return _plain("Unknown action.", 400)
    state = get_state()
    if not partners.claim_action(state.redis, claims):
        return _plain("This button has been used already.", 409)
    try:
        with force_locale(_tenant_language(installation)):
            message = _act(installation, claims)
    except DomainError as exc:
        session.rollback()
        partners.release_action(state.redis, claims)  # nothing happened: the button may be pressed again
        return _plain(exc.message, exc.status)
    except BaseException:
        partners.release_action(state.redis, claims)
        raise
    return jsonify({"message": message})


def _act(installation: Installation, claims: dict[str, Any]) -> str:
    session, vault = db_session(), get_state().vault
    if claims["a"] == "keep":
        months = int(claims.get("m", 3))
        followup = partners.keep_in_touch(session, vault, installation, claims["c"], months,
                                          gettext("Keep in touch (from the Teamtailor card)"))
        return gettext("Follow-up scheduled for %(day)s.", day=_day(followup.due_at, installation))
    logged = partners.log_referral(session, vault, installation, claims["c"], claims["r"])
    return gettext("Referral logged.") if logged else gettext("This referral was logged already.")


@partners_bp.get("/open/<token>")
def open_sidebar(token: str) -> Any:
    """The card's link, opened in a new tab: the recruiter signed in to Brobygger (a first-party cookie here)
    gets a freshly signed launch; anyone else is asked to sign in first."""
    session = db_session()
    try:
        claims = partners.read_link(_secret_key(), token, action=False)
        installation = partners.installation_of(session, claims)
    except partners.PartnerAuthError as exc:
        return _plain(str(exc), 401)
    me: Recruiter | None = account.current_recruiter()
    if me is None or me.tenant_id != installation.tenant_id:
        lang = request.accept_languages.best_match(LANGUAGES) or "en"
        with force_locale(lang):
            return render_template("brobygger/partner_signin.html", lang=lang,
                                   login_url=url_for("brobygger_login.login_form")), 401
    secret = tenants.sidebar_secret(get_state().vault, tenants.get(session, me.tenant_id))
    launch_token = launch.sign(secret, me.tenant_id, me.email, {"vendor": "teamtailor", "candidate_id": claims["c"]})
    return redirect(url_for("brobygger_sidebar.launch_sidebar", jwt=launch_token))
