"""HTTP surfaces: the REST API, health, the sidebar and a few pages. Views parse and render; services decide."""

from __future__ import annotations

from flask import Blueprint, Flask

from ..extension import ERROR_HANDLERS
from ..i18n import template_globals
from . import (
    account,
    calendar,
    health,
    login,
    pages,
    partners,
    queue,
    references_page,
    reports,
    roles,
    security,
    sidebar,
    webhooks,
)
from . import privacy as privacy_page
from .api import BLUEPRINTS as API_BLUEPRINTS
from .api import register_api

PAGE_BLUEPRINTS: list[Blueprint] = [health.bp, pages.bp, sidebar.bp, webhooks.bp, account.bp, login.bp, queue.bp,
                                    calendar.bp, roles.bp]
PAGE_BLUEPRINTS += [reports.bp, references_page.bp]
PAGE_BLUEPRINTS += [privacy_page.bp]
PAGE_BLUEPRINTS += [partners.bp]  # Teamtailor's partner integration calls and the card's buttons

# Handlers on each blueprint, so a host app's own error handlers never decide how our routes fail;
# and our translation domain in our templates, whatever the host uses for its own.
for _bp in (*PAGE_BLUEPRINTS, *API_BLUEPRINTS):
    for _exc, _handler in ERROR_HANDLERS.items():
        _bp.register_error_handler(_exc, _handler)
for _bp in PAGE_BLUEPRINTS:
    _bp.context_processor(template_globals)
# Security headers on every response of ours; a per-source limit on webhook endpoints.
for _bp in (*PAGE_BLUEPRINTS, *API_BLUEPRINTS):
    _bp.after_request(security.add_headers)
webhooks.bp.before_request(security.limit_webhook_source)


def register_blueprints(app: Flask, url_prefix: str) -> None:
    security.init_app(app)
    for bp in PAGE_BLUEPRINTS:
        app.register_blueprint(bp, url_prefix=url_prefix or None)
    register_api(app, url_prefix)
