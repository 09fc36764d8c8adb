"""The `Brobygger` Flask extension: everything the plugin adds to an app, standalone or hosted.

A host Flask application (an ATS written in Flask, say) mounts the whole plugin with
`Brobygger(app, url_prefix="/brobygger")`; `plugin.create_app()` does the same for a standalone app.
Per-app state (engine, sessions, Redis, vault, manifest) lives in `app.extensions["brobygger"]`, so one
process can hold several apps (as the tests do) and nothing connects at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request
from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException, InternalServerError

from plugin import config as cfg
from plugin.db import make_engine, make_sessionmaker
from plugin.embedded_redis import start_embedded
from plugin.errors import ConflictError, DomainError, envelope, http_envelope
from plugin.manifest import load_manifest
from plugin.observability import web as observability_web
from plugin.queueing import connect, install_enqueuer
from plugin.security import Vault

log = logging.getLogger(__name__)
EXTENSION_KEY = "brobygger"


@dataclass
class State:
    settings: dict[str, Any]
    instance_path: Path
    url_prefix: str
    engine: Engine
    sessions: sessionmaker[Session]
    vault: Vault
    manifest: dict[str, Any]
    _redis: Redis | None = field(default=None, repr=False)
    _queue: Queue | None = field(default=None, repr=False)

    def setting(self, name: str) -> Any:
        return self.settings[cfg.PREFIX + name]

    @property
    def redis_url(self) -> str:
        url = self.setting("REDIS_URL")
        if not url:
            url = start_embedded(self.instance_path)
            self.settings[cfg.PREFIX + "REDIS_URL"] = url
        return url

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            self._redis = connect(self.redis_url)
        return self._redis

    @property
    def queue(self) -> Queue:
        # One Queue per app: it asks the server's version once, not with every job it enqueues.
        if self._queue is None:
            self._queue = Queue(self.setting("QUEUE_NAME"), connection=self.redis)
        return self._queue

    def is_json_path(self, path: str) -> bool:
        return path.startswith((self.url_prefix + "/api/", self.url_prefix + "/webhooks/"))


class Brobygger:
    def __init__(self, app: Flask | None = None, *, url_prefix: str | None = None,
                 config: dict[str, Any] | None = None) -> None:
        self.url_prefix = url_prefix
        self.config = config or {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, *, url_prefix: str | None = None) -> None:
        ours = {k: v for k, v in app.config.items() if k.startswith(cfg.PREFIX)}
        settings = cfg.load({**ours, **self.config})
        instance_path = Path(app.instance_path)
        cfg.finalise(settings, instance_path)
        app.config.update({k: v for k, v in settings.items() if k.startswith(cfg.PREFIX)})

        prefix = url_prefix if url_prefix is not None else self.url_prefix
        prefix = (prefix if prefix is not None else settings[cfg.PREFIX + "URL_PREFIX"]).rstrip("/")
        try:
            vault = Vault(settings[cfg.PREFIX + "ENCRYPTION_KEYS"])
        except ValueError as exc:
            raise cfg.ConfigError(str(exc)) from None
        engine = make_engine(settings[cfg.PREFIX + "DATABASE_URL"])
        state = State(settings=settings, instance_path=instance_path, url_prefix=prefix, engine=engine,
                      sessions=make_sessionmaker(engine), vault=vault,
                      manifest=load_manifest(settings[cfg.PREFIX + "MANIFEST_PATH"] or None))
        app.extensions[EXTENSION_KEY] = state
        # Our pages keep the signed-in recruiter in Flask's session: a host app with no key of its own lends ours.
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = settings[cfg.PREFIX + "SECRET_KEY"]
        install_enqueuer(state.sessions, lambda: state.queue)
        # The key of the erased-identifier fingerprints reaches the privacy services with every session.
        from plugin.privacy import fingerprints

        fingerprints.bind(state.sessions, state.setting("FINGERPRINT_KEY") or state.setting("SECRET_KEY"))

        from plugin import formats, headers, i18n
        from plugin.routes import API_BLUEPRINTS, PAGE_BLUEPRINTS, register_blueprints

        i18n.init_app(app)
        formats.init_app(app)  # numbers, dates and months as Jinja filters, in the reader's locale
        register_blueprints(app, prefix)
        headers.install_body_limits(app, {bp.name for bp in API_BLUEPRINTS}, {bp.name for bp in PAGE_BLUEPRINTS})
        observability_web.init_app(app, prefix)  # the request id, the access log (redacted by route), metrics
        self._register_error_handlers(app)
        app.teardown_appcontext(_close_session)

        from plugin.cli import brobygger_group

        app.cli.add_command(brobygger_group)

    @staticmethod
    def _register_error_handlers(app: Flask) -> None:
        """Our blueprints carry their own handlers (routes.py). Unmatched URLs belong to no
        blueprint, so an app-level handler gives our paths the envelope too; a host that already
        handles these errors itself keeps its own handler."""
        existing = app.error_handler_spec[None][None]
        for exc_class, handler in ERROR_HANDLERS.items():
            if exc_class not in existing:
                app.register_error_handler(exc_class, handler)


def get_state(app: Flask | None = None) -> State:
    return (app or current_app).extensions[EXTENSION_KEY]


def db_session() -> Session:
    """The session of the current app context; closed (and so rolled back if uncommitted) at teardown."""
    if "_brobygger_session" not in g:
        g._brobygger_session = get_state().sessions()
    return g._brobygger_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("_brobygger_session", None)
    if session is not None:
        session.close()


def _rollback() -> None:
    session = g.get("_brobygger_session")
    if session is not None:
        session.rollback()


def _wants_json() -> bool:
    return get_state().is_json_path(request.path)


def handle_http_error(exc: HTTPException) -> Any:
    if _wants_json():
        return http_envelope(exc)
    # Werkzeug's own description is English: the page says its status's sentence instead; one of ours
    # (`abort(403, gettext(...))`) is in the page's language already.
    ours = exc.description if exc.description != type(exc).description else None
    return _error_page(exc.code or 500, ours)


def handle_domain_error(exc: DomainError) -> Any:
    _rollback()
    if _wants_json():
        return envelope(exc.status, exc.message, exc.errors)
    return _error_page(exc.status, exc.message)


def _error_page(status: int, message: str | None) -> Any:
    """The error page in the reader's language: the API's English messages become what to do (error_texts)."""
    from flask import render_template

    from plugin.error_texts import page_error
    from plugin.i18n import select_locale, template_globals

    _know_the_reader()

    title, text = page_error(status, message)  # an unmatched URL belongs to no blueprint: `_` comes along here
    return render_template("brobygger/error.html", code=status, title=title, message=text,
                           lang=select_locale(), **template_globals()), status


def _know_the_reader() -> None:
    """An unmatched URL belongs to no page, so nobody has looked at the session yet: a signed-in recruiter
    gets the error in their own language too. Best effort: the error may be the database failing."""
    if "brobygger_recruiter" in g:
        return
    from flask_babel import refresh

    from plugin.login.account import current_recruiter

    try:
        if current_recruiter() is not None:
            refresh()  # a locale chosen before the recruiter was known is chosen again
    except Exception:  # the page still shows, in the browser's language
        _rollback()


def handle_integrity_error(exc: IntegrityError) -> Any:
    # Services check the constraints they know of; this catches a race between two writers.
    _rollback()
    log.warning("integrity error on %s %s: %s", request.method, request.path, type(exc.orig).__name__)
    return handle_domain_error(ConflictError("The change conflicts with existing data; reload and try again."))


def handle_server_error(exc: InternalServerError) -> Any:
    _rollback()
    original = getattr(exc, "original_exception", None)
    if original is not None:
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
    return handle_http_error(InternalServerError())


ERROR_HANDLERS: dict[type[Exception], Any] = {
    HTTPException: handle_http_error,
    DomainError: handle_domain_error,
    IntegrityError: handle_integrity_error,
    InternalServerError: handle_server_error,
}
