"""HTTP surfaces: the REST API, health, the sidebar and a few pages. Views parse and render; services decide."""

from __future__ import annotations

from flask import Blueprint, Flask

from ..extension import ERROR_HANDLERS
from ..i18n import template_globals
from . import health, pages, sidebar, webhooks
from .api import BLUEPRINTS as API_BLUEPRINTS
from .api import register_api

PAGE_BLUEPRINTS: list[Blueprint] = [health.bp, pages.bp, sidebar.bp, webhooks.bp]

# Handlers on each blueprint, so a host app's own error handlers never decide how our routes fail;
# and our translation domain in our templates, whatever the host uses for its own.
for _bp in (*PAGE_BLUEPRINTS, *API_BLUEPRINTS):
    for _exc, _handler in ERROR_HANDLERS.items():
        _bp.register_error_handler(_exc, _handler)
for _bp in PAGE_BLUEPRINTS:
    _bp.context_processor(template_globals)


def register_blueprints(app: Flask, url_prefix: str) -> None:
    for bp in PAGE_BLUEPRINTS:
        app.register_blueprint(bp, url_prefix=url_prefix or None)
    register_api(app, url_prefix)
