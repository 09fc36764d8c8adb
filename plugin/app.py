"""The application factory for standalone use (`make run`, gunicorn `plugin:create_app()`)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from .config import PREFIX
from .extension import Brobygger
from .resources import resource_path


def create_app(config: dict[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get(PREFIX + "INSTANCE_PATH")
    app = Flask("plugin", instance_path=instance_path and os.path.abspath(instance_path),
                template_folder=str(resource_path("templates")), static_folder=None)
    app.config.update(config)
    Brobygger(app)
    app.config["SECRET_KEY"] = app.config[PREFIX + "SECRET_KEY"]
    app.json.sort_keys = False
    return app
