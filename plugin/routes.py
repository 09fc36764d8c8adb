"""Every blueprint of every feature, registered on the app with what all of ours share: the error
envelope (or error page), our translation domain in templates, and the security headers."""

from __future__ import annotations

from flask import Blueprint, Flask

from plugin import headers
from plugin.api import BLUEPRINTS as API_BLUEPRINTS
from plugin.api import register_api
from plugin.ats import views as ats_views
from plugin.browser import views as browser_views
from plugin.demo import views as demo_views
from plugin.extension import ERROR_HANDLERS
from plugin.followups import views as followups_views
from plugin.health import views as health_views
from plugin.home import views as home_views
from plugin.i18n import template_globals
from plugin.login import views as login_views
from plugin.messages import views as messages_views
from plugin.people import views as people_views
from plugin.privacy import views as privacy_views
from plugin.reports import views as reports_views
from plugin.resources import STATIC
from plugin.sidebar import views as sidebar_views
from plugin.tenancy import views as tenancy_views

static_bp = Blueprint("brobygger_static", __name__, static_folder=str(STATIC), static_url_path="/static")

PAGE_BLUEPRINTS: list[Blueprint] = [
    health_views.bp, home_views.bp, demo_views.bp, sidebar_views.bp, ats_views.webhooks_bp, static_bp, login_views.bp,
    followups_views.queue_bp, followups_views.calendar_bp, people_views.bp, reports_views.reports_bp,
    reports_views.references_bp, privacy_views.bp, tenancy_views.settings_bp, tenancy_views.unsubscribe_bp,
    ats_views.partners_bp,  # Teamtailor's partner integration calls and the card's buttons
    messages_views.bp, messages_views.opt_out_bp,  # the message pages; a referrer's opt-out (no sign-in)
    browser_views.api_bp, browser_views.pages_bp,  # the browser extension's calls; connecting it
]

# Handlers on each blueprint, so a host app's own error handlers never decide how our routes fail (a
# blueprint's own handler for a class, like the queue's JSON answers to its script, is kept); and our
# translation domain in our templates, whatever the host uses for its own.
for _bp in (*PAGE_BLUEPRINTS, *API_BLUEPRINTS):
    for _exc, _handler in ERROR_HANDLERS.items():
        if _exc not in _bp.error_handler_spec[None][None]:
            _bp.register_error_handler(_exc, _handler)
    _bp.after_request(headers.add_headers)
for _bp in PAGE_BLUEPRINTS:
    _bp.context_processor(template_globals)


def register_blueprints(app: Flask, url_prefix: str) -> None:
    for bp in PAGE_BLUEPRINTS:  # a blueprint's own prefix goes under the mount point, not instead of it
        app.register_blueprint(bp, url_prefix=(url_prefix + (bp.url_prefix or "")) or None)
    register_api(app, url_prefix)
