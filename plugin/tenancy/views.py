"""The signed-in recruiter's own settings: GET/POST /settings (language, the country they work in, time zone,
the daily digest and, for admins, the monthly report by e-mail) and POST /settings/language (the page
header's language switch, back to the page it was pressed on).

GET/POST /unsubscribe/<token>: the link in our e-mails. It works without signing in, so its blueprint has
no session or CSRF check: the signed token is the credential. GET only asks (mail scanners follow links);
POST turns the e-mail off, from the page's button or from a mail program's one-click button (RFC 8058).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from plugin.browser import connections
from plugin.core.actors import Actor
from plugin.errors import InvalidError, NotFoundError
from plugin.extension import db_session, get_state
from plugin.i18n import force_locale, gettext
from plugin.login import account
from plugin.tenancy import recruiters

# --- settings ------------------------------------------------------------------------------------------------

settings_bp = Blueprint("brobygger_settings", __name__)
account.setup(settings_bp)

TEXT_FIELDS = ("language", "region", "time_zone", "digest_time")
SWITCHES = ("digest_enabled", "monthly_report_enabled")
# Each language by its own name, as people look for their language in a list.
LANGUAGE_NAMES = (("nb", "Norsk (bokmål)"), ("en", "English"))


@settings_bp.get("/settings")
@account.require_recruiter
def settings() -> Any:
    me = account.recruiter()
    form = {"language": me.language, "region": me.region or "", "time_zone": me.time_zone,
            "digest_time": me.digest_time, "digest_enabled": me.digest_enabled,
            "monthly_report_enabled": me.monthly_report_enabled}
    return _page(form, {})


@settings_bp.post("/settings")
@account.require_recruiter
def save() -> Any:
    form: dict[str, Any] = {name: request.form.get(name, "")[:100] for name in TEXT_FIELDS}
    form.update({name: name in request.form for name in SWITCHES})  # an unticked box is not sent at all
    try:
        saved = recruiters.save_preferences(db_session(), account.recruiter(), form, account.actor())
    except InvalidError as exc:
        return _page(form, exc.errors, 422)
    with force_locale(saved.language):  # the next page reads in the language just chosen
        flash(gettext("Your settings are saved."))
    return redirect(url_for(".settings"))


def _page(form: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    language = account.recruiter().language
    return render_template("brobygger/settings.html", form=form, errors=errors, languages=LANGUAGE_NAMES,
                           regions=recruiters.region_names(language), zones=recruiters.time_zones(),
                           browsers=connections.listed(db_session(), account.recruiter())), status


@settings_bp.post("/settings/language")
@account.require_recruiter
def switch_language() -> Any:
    recruiters.set_language(db_session(), account.recruiter(), request.form.get("language", ""), account.actor())
    return redirect(account.safe_next(request.form.get("next"), url_for("brobygger_pages.index")))


# --- unsubscribe -----------------------------------------------------------------------------------------------

unsubscribe_bp = Blueprint("brobygger_unsubscribe", __name__)
unsubscribe_bp.after_request(account.harden)


@unsubscribe_bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    session = db_session()
    try:
        recruiter, kind = recruiters.unsubscribe_target(session, get_state().setting("SECRET_KEY"), token)
    except NotFoundError:
        abort(404, gettext("This unsubscribe link is not valid. You can choose which e-mails you receive "
                           "in your Brobygger settings."))
    if request.method == "POST":
        recruiters.unsubscribe(session, recruiter, kind, Actor("recruiter", str(recruiter.id), account.PAGE_SURFACE))
    with force_locale(recruiter.language):  # the page speaks to the recruiter the e-mail went to
        return render_template("brobygger/unsubscribe.html", recruiter=recruiter, kind=kind,
                               subscribed=recruiters.is_subscribed(recruiter, kind), lang=recruiter.language,
                               action=url_for(".unsubscribe", token=token),
                               settings_url=url_for("brobygger_settings.settings"))
