"""The public consent page: GET/POST /privacy/consent/<token>, with no account, in the person's language.

The signed token names one person and expires; an answer claims its nonce, so each link acts once. The
page shows no personal data: a forwarded link reveals nothing about the person.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from plugin.extension import db_session, get_state
from plugin.formats import date_long
from plugin.i18n import force_locale, select_locale
from plugin.privacy import consent as consent_service
from plugin.privacy.notice import language
from plugin.tenancy.settings import PrivacySettings, privacy_of

bp = Blueprint("brobygger_privacy", __name__)
ACTIONS = ("accept", "extend", "erase")


@bp.route("/privacy/consent/<token>", methods=["GET", "POST"])
def consent(token: str) -> Any:
    state = get_state()
    session = db_session()
    days = state.setting("CONSENT_LINK_DAYS")
    claims = consent_service.read_link(token, secret=state.setting("SECRET_KEY"), days=days)
    subject = consent_service.consent_subject(session, claims) if claims else None
    if claims is None or subject is None:
        return _page(select_locale(), "invalid", status=404)  # nobody known: the browser's language
    tenant, person = subject
    lang = language(person, tenant)
    settings = privacy_of(tenant.settings)
    if consent_service.link_used(state.redis, claims):
        return _page(lang, "used", controller=tenant.name, status=410)
    action = request.form.get("action", "") if request.method == "POST" else ""
    if action not in ACTIONS:
        return _page(lang, "ask", controller=tenant.name, settings=settings, expires=person.consent_expires_at,
                     zone=tenant.time_zone, status=400 if request.method == "POST" else 200)
    try:
        renewed = consent_service.answer(session, state.redis, claims, action, settings, days)
    except consent_service.LinkUsed:
        return _page(lang, "used", controller=tenant.name, status=410)
    if renewed is None:
        return _page(lang, "erased", controller=tenant.name)
    return _page(lang, "accepted", controller=tenant.name, expires=renewed.consent_expires_at, zone=tenant.time_zone)


def _page(lang: str, state: str, *, controller: str = "", settings: PrivacySettings | None = None,
          expires: Any = None, zone: str = "UTC", status: int = 200) -> Any:
    with force_locale(lang):  # the person's language; their region is not known, so the language's home one
        body = render_template("brobygger/consent.html", lang=lang, state=state, controller=controller,
                               settings=settings, expires=date_long(expires, zone) if expires else None)
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
