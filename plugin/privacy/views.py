"""The public consent page: GET/POST /privacy/consent/<token>, with no account, in the person's language.

The signed token names one person and expires; a POST claims its nonce in Redis (SET NX), so each link
acts once. The page shows no personal data: a forwarded link reveals nothing about the person.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from plugin.core.actors import Actor
from plugin.extension import db_session, get_state
from plugin.models import Origin
from plugin.privacy import privacy
from plugin.privacy.texts import PAGE

bp = Blueprint("brobygger_privacy", __name__)
ACTIONS = ("accept", "extend", "erase")


@bp.route("/privacy/consent/<token>", methods=["GET", "POST"])
def consent(token: str) -> Any:
    state = get_state()
    session = db_session()
    claims = privacy.read_link(token, secret=state.setting("SECRET_KEY"), days=state.setting("CONSENT_LINK_DAYS"))
    subject = privacy.consent_subject(session, claims) if claims else None
    if claims is None or subject is None:
        return _page("en", "invalid", status=404)
    tenant, person = subject
    lang = privacy.language(person, tenant)
    settings = privacy.settings_for(tenant)
    used_key = privacy.USED_PREFIX + claims.nonce
    if state.redis.exists(used_key):
        return _page(lang, "used", controller=tenant.name, status=410)
    if request.method == "GET":
        return _page(lang, "ask", controller=tenant.name, settings=settings,
                     expires=person.consent_expires_at)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        return _page(lang, "ask", controller=tenant.name, settings=settings, expires=person.consent_expires_at,
                     status=400)
    if not state.redis.set(used_key, "1", nx=True, ex=state.setting("CONSENT_LINK_DAYS") * 86400):
        return _page(lang, "used", controller=tenant.name, status=410)
    try:
        return _act(session, claims, action, settings, lang, tenant.name)
    except Exception:
        state.redis.delete(used_key)  # nothing happened: the link may be used again
        raise


def _act(session: Any, claims: privacy.LinkClaims, action: str, settings: privacy.PrivacySettings, lang: str,
         controller: str) -> Any:
    actor = Actor(privacy.DATA_SUBJECT, str(claims.person_id), Origin.SYSTEM)
    if action == "erase":
        privacy.erase(session, claims.tenant_id, claims.person_id, actor)
        return _page(lang, "erased", controller=controller)
    months = settings.consent_months if action == "accept" else settings.consent_extend_months
    person = privacy.renew_consent(session, claims.tenant_id, claims.person_id, months, actor)
    return _page(lang, "accepted", controller=controller, expires=person.consent_expires_at)


def _page(lang: str, state: str, *, controller: str = "", settings: privacy.PrivacySettings | None = None,
          expires: Any = None, status: int = 200) -> Any:
    words = PAGE[lang]
    body = render_template("brobygger/consent.html", lang=lang, state=state, words=words, controller=controller,
                           settings=settings, expires=f"{expires:%Y-%m-%d}" if expires else None)
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
