"""Sign-in by e-mailed magic link (GET/POST /login, GET /login/<token>) and sign-out (POST /logout)."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from plugin.extension import db_session, get_state
from plugin.i18n import force_locale, gettext
from plugin.login import account, links
from plugin.mail import Mail, MailError, send

log = logging.getLogger(__name__)
bp = Blueprint("brobygger_login", __name__)
account.setup(bp)

MAX_EMAIL = 254
NEXT_KEY = "brobygger_next"


@bp.get("/login")
def login_form() -> Any:
    landing = account.safe_next(request.args.get("next"), "")
    if account.current_recruiter() is not None:
        return redirect(landing or url_for("brobygger_queue.queue"))
    return render_template("brobygger/login.html", next=landing)


@bp.post("/login")
def request_link() -> Any:
    """The answer is the same whether or not the address belongs to a recruiter."""
    email = request.form.get("email", "").strip()
    # Where the recruiter was going (the browser extension's connect page): the mailed link lands there when it
    # is opened in this browser, which holds the cookie.
    landing = account.safe_next(request.form.get("next"), "")
    if landing:
        session[NEXT_KEY] = landing
    if not email or len(email) > MAX_EMAIL or "@" not in email:
        return render_template("brobygger/login.html", email=email, next=landing,
                               error=gettext("Enter the e-mail address you use as a recruiter.")), 422
    state = get_state()
    invitations = links.invitations(db_session(), state.redis, state.setting("SECRET_KEY"), email)
    if invitations:
        _send_links(email.lower(), invitations)
    return render_template("brobygger/login_sent.html", email=email)


def _send_links(address: str, invitations: list[links.Invitation]) -> None:
    state = get_state()
    sign_in_links = [(item.tenant_name, account.link_url(item.token)) for item in invitations]
    with force_locale(invitations[0].recruiter.language):
        subject = gettext("Your Brobygger sign-in link")
        text = render_template("brobygger/email/login.txt", links=sign_in_links,
                               minutes=links.LIFETIMES["mail"] // 60)
    host = urlsplit(state.setting("BASE_URL")).hostname or "brobygger.invalid"
    mail = Mail(to=address, subject=subject, text=text, html=None,
                message_id=f"<login.{secrets.token_hex(12)}@{host}>")
    try:
        send(mail, smtp_url=state.setting("SMTP_URL"), sender=state.setting("MAIL_FROM"),
             outbox=state.instance_path / "outbox")
    except MailError as exc:  # logged, not shown: the answer must not differ for known addresses
        log.error("sign-in mail not sent: %s", exc)


@bp.get("/login/<token>")
def redeem(token: str) -> Any:
    state = get_state()
    try:
        grant = links.redeem(db_session(), state.redis, state.setting("SECRET_KEY"), token)
    except links.LoginError as exc:
        return render_template("brobygger/login.html", error=_refusal(exc.reason)), 400
    account.sign_in(grant)
    # A hand-off may name the page to land on (the sidebar's "Write a message"); only a path of this site.
    landing = request.args.get("next") or session.pop(NEXT_KEY, None)
    return redirect(account.safe_next(landing, url_for("brobygger_queue.queue")))


def _refusal(reason: str) -> str:
    if reason == "expired":
        return gettext("This sign-in link has expired. Ask for a new one below.")
    if reason == "used":
        return gettext("This sign-in link has been used already. Ask for a new one below.")
    return gettext("This sign-in link is not valid. Ask for a new one below.")


@bp.post("/logout")
def logout() -> Any:
    account.sign_out()
    return redirect(url_for("brobygger_login.login_form", signed_out=1))
