"""Incoming ATS webhooks: verify, dedupe, record, enqueue — and answer fast, with no vendor call inside
the request. The record in the database is the truth; the job only does the work.

An accepted delivery costs one PostgreSQL statement (the INSERT, in a transaction of its own, which also checks
the installation is still as remembered) and one Redis round trip (the job, with the sender's rate-limit count).
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry
from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError, Retriable, WebhookRejected
from connectors.http import Policy
from connectors.types import WebhookEvent
from plugin.ats import installations, sync
from plugin.ats.locks import SyncBusy, holding_sync_lock
from plugin.errors import DomainError, NotFoundError, UnauthorizedError
from plugin.models import Installation, Vendor, WebhookDelivery, utcnow
from plugin.privacy import erasure
from plugin.queueing import enqueue_after_commit, enqueue_on
from plugin.security import Vault

# Events that say a candidate was deleted. The body is only a hint (Lever's data and Teamtailor's v1 payload are
# outside their signatures), so the job asks the ATS: the link is dropped only when the candidate is gone there.
CANDIDATE_GONE = frozenset({"delete_candidate", "candidate.destroy", "candidateDelete"})
# Events that say one application (a Lever opportunity) was deleted: that application goes, the candidate is
# read afresh, and their link goes only when the ATS has nothing left of them (a Lever contact with no
# opportunities).
APPLICATION_GONE = frozenset({"candidateDeleted", "job_application.destroy", "delete_application"})


# The ATS anonymised the candidate (Greenhouse, on the candidate's request): anonymise our person too.
ANONYMISED = frozenset({"candidate_anonymized"})

PROCESS_JOB = "plugin.ats.jobs.process_webhook"
SYNC_JOB = "plugin.ats.jobs.sync_installation"
RETRY = Retry(max=3, interval=[10, 60, 300])  # the ATS may be briefly down when its own webhook arrives


class Receipt(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    PING = "pong"
    IGNORED = "ignored"  # genuine, but about another customer of a unified API (Kombo)


@dataclass(frozen=True)
class Endpoint:
    """What intake needs of one active installation, opened from its row."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    vendor: str
    secrets: tuple[str, ...]
    credentials: Mapping[str, Any]
    sealed: tuple[str, str]  # the row's sealed secrets and credentials: the INSERT checks they are still current


class Endpoints:
    """Installations as intake last read them (None: no active installation has that id), kept in the web process
    for a minute, so that a delivery to a known installation reads nothing before its INSERT. Staleness lets no
    delivery in that the row would refuse: the INSERT takes place only while the row is active and holds the
    sealed texts the verification used; otherwise the row is read again and the delivery judged afresh."""

    TTL = 60.0
    MAX = 10_000  # made-up installation ids cannot grow this without end

    def __init__(self) -> None:
        self._known: dict[uuid.UUID, tuple[float, Endpoint | None]] = {}

    def get(self, conn: Connection, vault: Vault, installation_id: uuid.UUID, *,
            fresh: bool = False) -> tuple[Endpoint | None, bool]:
        """The endpoint, and whether it came from memory (and so may be stale)."""
        now = time.monotonic()
        known = None if fresh else self._known.get(installation_id)
        if known is not None and now - known[0] < self.TTL:
            return known[1], True
        row = conn.execute(select(Installation.tenant_id, Installation.vendor, Installation.webhook_secret_encrypted,
                                  Installation.credentials_encrypted)
                           .where(Installation.id == installation_id, Installation.active.is_(True))).first()
        endpoint = None if row is None else Endpoint(
            installation_id, row.tenant_id, Vendor(row.vendor).value,
            tuple(installations.open_webhook_secrets(vault, row.webhook_secret_encrypted)),
            vault.decrypt_json(row.credentials_encrypted), (row.webhook_secret_encrypted, row.credentials_encrypted))
        if len(self._known) >= self.MAX:
            self._known.clear()
        self._known[installation_id] = (now, endpoint)
        return endpoint, False


def receive(engine: Engine, endpoints: Endpoints, vault: Vault, vendor: str, installation_id: uuid.UUID,
            headers: Mapping[str, str], body: bytes) -> tuple[Receipt, uuid.UUID | None]:
    """Verify and record one delivery. An accepted delivery's id comes back for the caller to enqueue; the cron
    tick enqueues any the caller could not. `engine` must run each statement in a transaction of its own
    (AUTOCOMMIT): the delivery is durable when its INSERT returns, and with its installation in `endpoints` that
    INSERT is the one statement the delivery costs."""
    with engine.connect() as conn:
        endpoint, remembered = endpoints.get(conn, vault, installation_id)
        if remembered:
            try:
                return _take(conn, endpoint, vendor, headers, body)
            except _Stale as stale:  # a secret added or a setting changed since the row was read?
                fresh, _ = endpoints.get(conn, vault, installation_id, fresh=True)
                if fresh == endpoint:  # no: refused, or the event was recorded before
                    if stale.refused is not None:
                        raise stale.refused from None
                    return Receipt.DUPLICATE, None
                endpoint = fresh  # yes: judge it afresh
        try:
            return _take(conn, endpoint, vendor, headers, body)
        except _Stale as stale:
            if stale.refused is not None:
                raise stale.refused from None
            return Receipt.DUPLICATE, None  # (or the installation went inactive this instant: nothing to record)


class _Stale(Exception):
    """The endpoint refused a delivery (`refused`) or the INSERT found it outdated or the event recorded already."""

    def __init__(self, refused: UnauthorizedError | None = None) -> None:
        self.refused = refused


def _take(conn: Connection, endpoint: Endpoint | None, vendor: str, headers: Mapping[str, str],
          body: bytes) -> tuple[Receipt, uuid.UUID | None]:
    if endpoint is None or endpoint.vendor != vendor:
        raise NotFoundError("No such webhook endpoint.")
    connector_class = installations.registry()[vendor]
    try:
        event = connector_class.verify_any(endpoint.secrets, headers, body)
    except WebhookRejected as exc:
        raise _Stale(UnauthorizedError(f"Webhook refused: {exc}")) from None
    if event.is_ping:
        return Receipt.PING, None
    if not connector_class.concerns(event, endpoint.credentials):
        return Receipt.IGNORED, None
    if not all(_storable(text) for text in (event.event_id, event.action, event.candidate_id, event.resource_id,
                                            event.merged_into)):
        raise DomainError("Webhook refused: an id or the action holds a NUL character or a lone surrogate, "
                          "which no ATS sends and the database cannot store.")
    delivery_id = _record(conn, endpoint, event)
    if delivery_id is None:
        raise _Stale()
    return Receipt.ACCEPTED, delivery_id


def _record(conn: Connection, endpoint: Endpoint, event: WebhookEvent) -> uuid.UUID | None:
    """INSERT the delivery, in one statement, if its installation is still as `endpoint` read it and the vendor
    has not delivered this event before (the unique event id); the new row's id, else None."""
    row = {"id": uuid.uuid4(), "tenant_id": endpoint.tenant_id, "installation_id": endpoint.id,
           "event_id": event.event_id[:200], "action": event.action[:64], "candidate_ats_id": _id(event.candidate_id),
           "resource_ats_id": _id(event.resource_id), "merged_into_ats_id": _id(event.merged_into),
           "sync_wanted": event.sync_wanted, "received_at": utcnow(),
           "sealed_secrets": endpoint.sealed[0], "sealed_credentials": endpoint.sealed[1]}
    return conn.execute(_insert_statement(conn.dialect.name), row).scalar_one_or_none()


_INSERTED = ("id", "tenant_id", "installation_id", "event_id", "action", "candidate_ats_id", "resource_ats_id",
             "merged_into_ats_id", "sync_wanted", "received_at")


@functools.cache
def _insert_statement(dialect: str) -> Any:
    """Built once per dialect, with bound parameters: building and cache-keying a statement per delivery would
    cost more CPU than running it."""
    columns = WebhookDelivery.__table__.c
    current = select(Installation.id).where(
        Installation.id == bindparam("installation_id"), Installation.active.is_(True),
        Installation.webhook_secret_encrypted == bindparam("sealed_secrets"),
        Installation.credentials_encrypted == bindparam("sealed_credentials")).exists()
    values = select(*(bindparam(name, type_=columns[name].type).label(name) for name in _INSERTED)).where(current)
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (insert(WebhookDelivery).from_select(list(_INSERTED), values)
            .on_conflict_do_nothing(index_elements=["installation_id", "event_id"])
            .returning(WebhookDelivery.id))


def announce(pipe: Pipeline, queue: Queue, delivery_id: uuid.UUID) -> None:
    """Enqueue an accepted delivery's job on the caller's pipeline (one round trip with whatever else it holds)."""
    enqueue_on(pipe, queue, PROCESS_JOB, str(delivery_id), job_id=f"webhook-{delivery_id}", retry=RETRY)


def _sync_now(session: Session, vault: Vault, installation: Installation, delivery: WebhookDelivery,
              cache: Redis | None, policy: Policy | None) -> str:
    """An event that names no record (Kombo's data-changed): an incremental sync, in this job, under the
    installation's sync lock. When a sync is running already it may have read past the change, so one more
    is queued for this minute (one per minute however many such events arrive)."""
    if cache is None:
        counts = sync.run(session, vault, installation.id, policy=policy)
        return f"synced ({counts.records} records)"
    try:
        with holding_sync_lock(cache, installation.id):
            counts = sync.run(session, vault, installation.id, policy=policy, cache=cache)
    except SyncBusy:
        minute = delivery.received_at.strftime("%Y%m%d%H%M")
        enqueue_after_commit(session, SYNC_JOB, str(installation.id), job_id=f"sync-{installation.id}-hook-{minute}")
        return "a sync is running; one more queued"
    except sync.SyncFailed as exc:
        raise Retriable(f"sync failed: {exc}") from exc
    return f"synced ({counts.records} records)"


def _id(value: str | None) -> str | None:
    return value[:64] if value else None


def _storable(text: str | None) -> bool:
    """PostgreSQL text holds no NUL, and a lone surrogate (a \\u escape in the JSON) has no UTF-8 encoding."""
    return text is None or ("\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text))


def process(session: Session, vault: Vault, delivery_id: uuid.UUID, cache: Redis | None = None,
            policy: Policy | None = None) -> str:
    """Reflect one delivery on the person: fetch the candidate afresh, or unlink a deleted one."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.processed_at is not None:
        return "nothing to do"
    installation = session.get(Installation, delivery.installation_id)
    assert installation is not None  # deliveries go with their installation (ON DELETE CASCADE)
    try:
        outcome = _reflect(session, vault, installation, delivery, cache, policy)
    except ConnectorError as exc:  # kept on the row for the status page; the job's retry tries again
        session.rollback()
        delivery.error = str(exc)[:1000]
        session.commit()
        raise
    delivery.processed_at, delivery.error = utcnow(), None
    session.commit()
    return outcome


def _reflect(session: Session, vault: Vault, installation: Installation, delivery: WebhookDelivery,
             cache: Redis | None, policy: Policy | None) -> str:
    if delivery.sync_wanted:
        return _sync_now(session, vault, installation, delivery, cache, policy)
    candidate_id = delivery.candidate_ats_id
    if candidate_id is None and delivery.resource_ats_id is not None:
        if delivery.action in APPLICATION_GONE:  # the ATS cannot say whose it was any more; we can
            candidate_id = sync.candidate_of_application(session, installation, delivery.resource_ats_id)
        else:
            connector = installations.connector(vault, installation, policy, cache=cache)
            candidate_id = connector.candidate_for(delivery.action, delivery.resource_ats_id)
    if candidate_id is None:
        return "no candidate in the event"
    if delivery.action in ANONYMISED:
        return f"anonymised {erasure.anonymise_linked(session, installation, candidate_id)}"
    if delivery.merged_into_ats_id:
        return sync.merge_candidate(session, vault, installation, candidate_id, delivery.merged_into_ats_id,
                                    cache=cache, policy=policy)
    if delivery.action in APPLICATION_GONE and delivery.resource_ats_id:
        sync.drop_application(session, installation, delivery.resource_ats_id)
    counts = sync.refresh_candidate(session, vault, installation, candidate_id, cache=cache, policy=policy)
    if counts is None:
        return f"unlinked {sync.unlink_candidate(session, installation, candidate_id)}"
    if delivery.action in CANDIDATE_GONE:
        return f"still in the ATS: refreshed ({counts.records} records)"
    return f"refreshed ({counts.records} records)"


def unprocessed(session: Session, older_than_seconds: int = 60, limit: int = 500) -> list[uuid.UUID]:
    """Deliveries whose job never ran (Redis lost, worker killed): the cron tick enqueues them again."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.processed_at.is_(None), WebhookDelivery.received_at < cutoff)
        .order_by(WebhookDelivery.received_at).limit(limit)))
