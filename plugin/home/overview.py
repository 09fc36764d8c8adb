"""What the landing page shows a signed-in recruiter: their queue in numbers and, for an admin, whether each of
the tenant's ATS installations is healthy. A fixed number of queries, however many installations there are."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.followups import queue
from plugin.models import Installation, Recruiter, SyncRun, WebhookDelivery, WriteBack

# A sync older than this, or none at all, makes an installation "behind": the tick syncs every few minutes.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Health:
    installation: Installation
    last_ok_at: datetime | None
    last_status: str | None
    last_error: str | None
    pending_webhooks: int
    failed_writebacks: int

    def state(self, now: datetime) -> str:
        """ok, behind (no successful sync for STALE_AFTER), failing (the last sync failed) or inactive."""
        if not self.installation.active:
            return "inactive"
        if self.last_status == "failed":
            return "failing"
        if self.last_ok_at is None or now - self.last_ok_at > STALE_AFTER:
            return "behind"
        return "ok"


def queue_counts(session: Session, recruiter: Recruiter, now: datetime) -> dict[str, int]:
    return queue.counts(session, recruiter.tenant_id, queue.Filters(owner_id=recruiter.id), now=now,
                        time_zone=recruiter.time_zone)


def installations_health(session: Session, tenant_id: uuid.UUID) -> list[Health]:
    installations = list(session.scalars(select(Installation).where(Installation.tenant_id == tenant_id)
                                         .order_by(Installation.name, Installation.id)))
    ids = [installation.id for installation in installations]
    if not ids:
        return []
    last_ok = dict(session.execute(select(SyncRun.installation_id, func.max(SyncRun.finished_at)).where(
        SyncRun.installation_id.in_(ids), SyncRun.status == "ok").group_by(SyncRun.installation_id)).all())
    latest = (select(SyncRun.installation_id, SyncRun.status, SyncRun.error,
                     func.row_number().over(partition_by=SyncRun.installation_id,
                                            order_by=(SyncRun.started_at.desc(), SyncRun.id.desc())).label("n"))
              .where(SyncRun.installation_id.in_(ids)).subquery())
    last = {row.installation_id: row for row in session.execute(select(latest).where(latest.c.n == 1))}
    pending = dict(session.execute(select(WebhookDelivery.installation_id, func.count()).where(
        WebhookDelivery.installation_id.in_(ids), WebhookDelivery.processed_at.is_(None))
        .group_by(WebhookDelivery.installation_id)).all())
    failed = dict(session.execute(select(WriteBack.installation_id, func.count()).where(
        WriteBack.installation_id.in_(ids), WriteBack.status == "failed").group_by(WriteBack.installation_id)).all())
    return [Health(installation, last_ok.get(installation.id),
                   last[installation.id].status if installation.id in last else None,
                   last[installation.id].error if installation.id in last else None,
                   pending.get(installation.id, 0), failed.get(installation.id, 0))
            for installation in installations]
