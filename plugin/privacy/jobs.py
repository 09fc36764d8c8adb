"""The daily retention job: renewal prompts and anonymisation, one job per tenant per day (ids only).
The job is idempotent, so a run repeated after a lost Redis changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from plugin.extension import get_state
from plugin.privacy.retention import mark_retention_done, run_daily


def retention(tenant_id: str, day: str) -> dict[str, int]:
    """Run one tenant's daily privacy work and mark the day done."""
    state = get_state()
    with state.sessions() as session:
        result = run_daily(session, uuid.UUID(tenant_id), datetime.now(UTC))
    mark_retention_done(state.redis, tenant_id, day)
    return result.as_dict()
