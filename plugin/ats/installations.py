"""ATS installations: connect a tenant to an ATS, build its connector, report its health."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import Connector
from connectors.http import Policy
from plugin.core.lookup import get_owned
from plugin.errors import InvalidError
from plugin.models import Installation, SyncBookmark, SyncRun, Vendor, WebhookDelivery, WriteBack
from plugin.security import Vault


def registry() -> dict[str, type[Connector]]:
    from connectors.registry import REGISTRY

    return REGISTRY


def add(session: Session, vault: Vault, tenant_id: uuid.UUID, *, vendor: str, base_url: str,
        credentials: dict[str, str], webhook_secret: str | Sequence[str], name: str | None = None,
        settings: dict[str, Any] | None = None) -> Installation:
    """`webhook_secret` may be several: Lever gives each webhook (one per event type) its own token."""
    connector_class = registry().get(vendor)
    if connector_class is None:
        raise InvalidError(f"Unknown vendor {vendor!r}.", {"vendor": [f"One of {', '.join(sorted(registry()))}."]})
    missing = [k for k in connector_class.credential_fields if not credentials.get(k)]
    if missing:
        raise InvalidError(f"{vendor} needs {', '.join(missing)}.", {k: ["Required."] for k in missing})
    if not base_url.startswith(("https://", "http://")):
        raise InvalidError("The base URL must be an http(s) URL.", {"base_url": ["Not a URL."]})
    secrets = _secrets([webhook_secret] if isinstance(webhook_secret, str) else webhook_secret)
    if not secrets:
        raise InvalidError("A webhook secret is required.", {"webhook_secret": ["Required."]})
    installation = Installation(
        tenant_id=tenant_id, vendor=Vendor(vendor), name=name or vendor.capitalize(), base_url=base_url.rstrip("/"),
        credentials_encrypted=vault.encrypt_json(credentials), webhook_secret_encrypted=_seal(vault, secrets),
        settings=settings or {})
    session.add(installation)
    session.commit()
    return installation


def get(session: Session, tenant_id: uuid.UUID, installation_id: uuid.UUID) -> Installation:
    return get_owned(session, Installation, tenant_id, installation_id, "installation")


def list_(session: Session, tenant_id: uuid.UUID | None = None) -> list[Installation]:
    query = select(Installation).order_by(Installation.created_at, Installation.id)
    if tenant_id is not None:
        query = query.where(Installation.tenant_id == tenant_id)
    return list(session.scalars(query))


# How long a vendor's reference lists (jobs, stages, sources…) serve later jobs of the same installation. A
# record naming an id the cached list lacks makes the connector read the list afresh, so new rows show at once.
LOOKUP_TTL_SECONDS = 900


@dataclass(frozen=True)
class LookupCache:
    """connectors.base.LookupCache in Redis, one namespace per installation. Without it every webhook job
    read six lists to refresh one candidate, spending the vendor's quota (Greenhouse: 50 requests per 10 s)."""

    redis: Redis
    installation_id: uuid.UUID

    def get(self, key: str) -> bytes | None:
        try:
            value = self.redis.get(self._key(key))
        except RedisError:  # a cache: without it the connector reads the vendor, as it would anyway
            return None
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        with contextlib.suppress(RedisError):
            self.redis.set(self._key(key), value, ex=LOOKUP_TTL_SECONDS)

    def _key(self, key: str) -> str:
        return f"brobygger:ats-lookup:{self.installation_id}:{key}"


def connector(vault: Vault, installation: Installation, policy: Policy | None = None,
              cache: Redis | None = None) -> Connector:
    connector_class = registry()[installation.vendor.value]
    return connector_class(installation.base_url, vault.decrypt_json(installation.credentials_encrypted),
                           policy=policy, cache=LookupCache(cache, installation.id) if cache is not None else None)


def webhook_secrets(vault: Vault, installation: Installation) -> list[str]:
    """The installation's webhook secrets."""
    return open_webhook_secrets(vault, installation.webhook_secret_encrypted)


def open_webhook_secrets(vault: Vault, sealed: str) -> list[str]:
    """Webhook secrets are sealed as one JSON list; a row sealed before there could be several holds the bare
    secret, which reads as a list of one."""
    opened = vault.decrypt(sealed)
    try:
        secrets = json.loads(opened)
    except ValueError:
        return [opened]
    if isinstance(secrets, list) and all(isinstance(secret, str) for secret in secrets):
        return secrets
    return [opened]


def update_webhook_secrets(session: Session, vault: Vault, tenant_id: uuid.UUID, installation_id: uuid.UUID, *,
                           add: Sequence[str] = (), remove: Sequence[str] = ()) -> list[str]:
    """Add or remove webhook secrets (a new Lever webhook, a rotated key); at least one stays."""
    installation = get(session, tenant_id, installation_id)
    current = webhook_secrets(vault, installation)
    removing = set(_secrets(remove))
    if removing - set(current):
        raise InvalidError("The installation has no such webhook secret to remove.",
                           {"webhook_secret": ["Not one of this installation's secrets."]})
    kept = _secrets([*(secret for secret in current if secret not in removing), *add])
    if not kept:
        raise InvalidError("An installation keeps at least one webhook secret.",
                           {"webhook_secret": ["Add the new secret before removing the last one."]})
    installation.webhook_secret_encrypted = _seal(vault, kept)
    session.commit()
    return kept


def _secrets(values: Sequence[str]) -> list[str]:
    """Stripped, non-empty, each once, in the order given."""
    return list(dict.fromkeys(value.strip() for value in values if value and value.strip()))


def _seal(vault: Vault, secrets: list[str]) -> str:
    return vault.encrypt(json.dumps(secrets))


def writes_back(installation: Installation) -> bool:
    return bool(installation.settings.get("write_back"))


@dataclass
class Status:
    installation: Installation
    bookmarks: dict[str, str]
    last_runs: list[SyncRun]
    pending_webhooks: int
    writebacks: dict[str, int]
    failed_writebacks: list[WriteBack]


def status(session: Session, tenant_id: uuid.UUID, installation_id: uuid.UUID) -> Status:
    """What an admin needs to see that sync, webhooks and write-back work — or why they do not."""
    installation = get(session, tenant_id, installation_id)
    bookmarks = {stream: value for stream, value in session.execute(
        select(SyncBookmark.stream, SyncBookmark.value).where(SyncBookmark.installation_id == installation.id))}
    runs = list(session.scalars(select(SyncRun).where(SyncRun.installation_id == installation.id)
                                .order_by(SyncRun.started_at.desc()).limit(5)))
    pending = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.installation_id == installation.id, WebhookDelivery.processed_at.is_(None))) or 0
    writebacks = {state: count for state, count in session.execute(
        select(WriteBack.status, func.count()).where(WriteBack.installation_id == installation.id)
        .group_by(WriteBack.status))}
    failed = list(session.scalars(select(WriteBack).where(
        WriteBack.installation_id == installation.id, WriteBack.status == "failed")
        .order_by(WriteBack.created_at.desc()).limit(10)))
    return Status(installation, bookmarks, runs, pending, writebacks, failed)
