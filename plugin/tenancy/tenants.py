"""Tenants and API keys: what `brobygger tenant create` and the API's authentication use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.errors import NotFoundError
from plugin.models import ApiKey, Tenant, utcnow
from plugin.security import Vault, hash_api_key, new_api_key, new_secret

SCOPES = ("read", "write", "admin")


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    api_key: str
    sidebar_secret: str


def create(session: Session, vault: Vault, name: str, *, language: str = "nb",
           time_zone: str = "Europe/Oslo", ats_origins: list[str] | None = None) -> NewTenant:
    created = add(session, vault, name, language=language, time_zone=time_zone, ats_origins=ats_origins)
    session.commit()
    return created


def add(session: Session, vault: Vault, name: str, *, language: str = "nb", time_zone: str = "Europe/Oslo",
        ats_origins: list[str] | None = None) -> NewTenant:
    """A new tenant with its first API key and sidebar secret, in the caller's transaction."""
    secret = new_secret()
    tenant = Tenant(name=name, default_language=language, time_zone=time_zone,
                    sidebar_secret_encrypted=vault.encrypt(secret), ats_origins=ats_origins or [])
    session.add(tenant)
    session.flush()
    key = _add_key(session, tenant.id, "initial")
    return NewTenant(tenant, key, secret)


def get(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(f"No tenant with id {tenant_id}.")
    return tenant


def list_all(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.created_at, Tenant.id)))


def sidebar_secret(vault: Vault, tenant: Tenant) -> str:
    return vault.decrypt(tenant.sidebar_secret_encrypted)


def create_api_key(session: Session, tenant_id: uuid.UUID, name: str = "api",
                   scopes: tuple[str, ...] = SCOPES) -> str:
    get(session, tenant_id)
    key = _add_key(session, tenant_id, name, scopes)
    session.commit()
    return key


def _add_key(session: Session, tenant_id: uuid.UUID, name: str, scopes: tuple[str, ...] = SCOPES) -> str:
    key, prefix, digest = new_api_key()
    session.add(ApiKey(tenant_id=tenant_id, name=name, prefix=prefix, key_hash=digest, scopes=list(scopes)))
    return key


def authenticate(session: Session, key: str) -> ApiKey | None:
    """The live key with this value, or None. Touches `last_used_at` at most once a minute."""
    api_key = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key),
                                                   ApiKey.revoked_at.is_(None))).first()
    if api_key is None:
        return None
    now = utcnow()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        api_key.last_used_at = now
        session.commit()
    return api_key


def revoke_keys(session: Session, tenant_id: uuid.UUID, name: str) -> int:
    keys = session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.name == name,
                                                ApiKey.revoked_at.is_(None))).all()
    for key in keys:
        key.revoked_at = utcnow()
    session.commit()
    return len(keys)
