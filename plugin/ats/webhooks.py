"""Incoming ATS webhooks: verify, dedupe, record, enqueue — and answer fast, with no vendor call inside
the request. The record in the database is the truth; the job only does the work."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum

from redis import Redis
from rq import Retry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError, Retriable, WebhookRejected
from connectors.http import Policy
from plugin.ats import installations, sync
from plugin.ats.locks import SyncBusy, holding_sync_lock
from plugin.errors import DomainError, NotFoundError, UnauthorizedError
from plugin.models import Installation, WebhookDelivery, utcnow
from plugin.privacy import erasure
from plugin.queueing import enqueue_after_commit
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


def receive(session: Session, vault: Vault, vendor: str, installation_id: uuid.UUID, headers: Mapping[str, str],
            body: bytes) -> Receipt:
    installation = session.get(Installation, installation_id)
    if installation is None or installation.vendor.value != vendor or not installation.active:
        raise NotFoundError("No such webhook endpoint.")
    connector_class = installations.registry()[vendor]
    try:
        event = connector_class.verify_any(installations.webhook_secrets(vault, installation), headers, body)
    except WebhookRejected as exc:
        raise UnauthorizedError(f"Webhook refused: {exc}") from None
    if event.is_ping:
        return Receipt.PING
    if not connector_class.concerns(event, vault.decrypt_json(installation.credentials_encrypted)):
        return Receipt.IGNORED
    if not all(_storable(text) for text in (event.event_id, event.action, event.candidate_id, event.resource_id,
                                            event.merged_into)):
        raise DomainError("Webhook refused: an id or the action holds a NUL character or a lone surrogate, "
                          "which no ATS sends and the database cannot store.")
    delivery = WebhookDelivery(id=uuid.uuid4(), tenant_id=installation.tenant_id, installation_id=installation.id,
                               event_id=event.event_id[:200], action=event.action[:64],
                               candidate_ats_id=_id(event.candidate_id), resource_ats_id=_id(event.resource_id),
                               merged_into_ats_id=_id(event.merged_into), sync_wanted=event.sync_wanted)
    session.add(delivery)
    try:
        session.flush()
    except IntegrityError:  # the vendor delivered this event before: answer as before, do nothing
        session.rollback()
        return Receipt.DUPLICATE
    enqueue_after_commit(session, PROCESS_JOB, str(delivery.id), job_id=f"webhook-{delivery.id}", retry=RETRY)
    session.commit()
    return Receipt.ACCEPTED


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
