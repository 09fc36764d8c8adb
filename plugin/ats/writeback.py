"""Write-back: notes and tags in the ATS when something happens in Brobygger, through a retried job
that never blocks the user. A failure is kept on the row and shown on the installation's status."""

from __future__ import annotations

import uuid
from datetime import timedelta

from rq import Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.http import Policy
from plugin.ats import installations
from plugin.models import Installation, PersonLink, WriteBack, utcnow
from plugin.queueing import enqueue_after_commit
from plugin.security import Vault

JOB = "plugin.ats.jobs.write_back"
MAX_ATTEMPTS = 5
RETRY = Retry(max=MAX_ATTEMPTS - 1, interval=[30, 120, 600, 1800])


def request(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, kind: str, text: str) -> list[WriteBack]:
    """Queue a note or tag on every ATS record of the person whose installation writes back."""
    rows = []
    for link, installation in session.execute(
            select(PersonLink, Installation).join(Installation, Installation.id == PersonLink.installation_id)
            .where(PersonLink.tenant_id == tenant_id, PersonLink.person_id == person_id,
                   Installation.active.is_(True))):
        if not installations.writes_back(installation):
            continue
        row = WriteBack(id=uuid.uuid4(), tenant_id=tenant_id, installation_id=installation.id, person_id=person_id,
                        candidate_ats_id=link.ats_id, kind=kind, text=text[:5000])
        session.add(row)
        enqueue_after_commit(session, JOB, str(row.id), job_id=f"writeback-{row.id}", retry=RETRY)
        rows.append(row)
    return rows


def perform(session: Session, vault: Vault, writeback_id: uuid.UUID, policy: Policy | None = None) -> str:
    row = session.get(WriteBack, writeback_id)
    if row is None or row.status == "done":
        return "nothing to do"
    installation = session.get(Installation, row.installation_id)
    assert installation is not None
    try:
        connector = installations.connector(vault, installation, policy)
        if row.kind == "tag":
            connector.add_tag(row.candidate_ats_id, row.text)
        else:
            connector.add_note(row.candidate_ats_id, row.text)
    except ConnectorError as exc:
        row.attempts += 1
        row.last_error = str(exc)[:1000]
        row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
        session.commit()
        raise
    row.attempts += 1
    row.status, row.done_at, row.last_error = "done", utcnow(), None
    session.commit()
    return "done"


def stranded(session: Session, older_than_minutes: int = 60, limit: int = 500) -> list[uuid.UUID]:
    """Pending write-backs whose retries were lost with Redis: the cron tick enqueues them again."""
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    return list(session.scalars(select(WriteBack.id).where(
        WriteBack.status == "pending", WriteBack.created_at < cutoff).order_by(WriteBack.created_at).limit(limit)))
