"""The application factory for standalone use (`make run`, gunicorn `plugin:create_app()`)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Flask

from plugin.config import PREFIX
from plugin.extension import Brobygger
from plugin.resources import resource_path


def create_app(config: dict[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get(PREFIX + "INSTANCE_PATH")
    app = Flask("plugin", instance_path=instance_path and os.path.abspath(instance_path),
                template_folder=str(resource_path("templates")), static_folder=None)
    app.config.update(config)
    Brobygger(app)
    app.config["SECRET_KEY"] = app.config[PREFIX + "SECRET_KEY"]
    # The recruiter pages' session cookie: no script access, not sent on cross-site POSTs, 12 hours.
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=app.config[PREFIX + "BASE_URL"].startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=12))
    app.json.sort_keys = False
    return app
