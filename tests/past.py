"""Follow-ups that are overdue by now, for tests that need them.

The API refuses a follow-up due before today (plugin/core/guards.py), so an overdue one is scheduled for
tomorrow through the API, as a recruiter would have, and then moved back to its due time in the database,
as if the days had passed since.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from plugin.extension import get_state
from plugin.models import FollowUp


def followup(tenant: Any, body: dict[str, Any]) -> dict:
    """POST /followups with `body`, whose `due_at` may lie in the past; returns the follow-up as the API shows it."""
    due = datetime.fromisoformat(body["due_at"]).astimezone(UTC)
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # today or later in every time zone
    made = tenant.create("/followups", {**body, "due_at": max(due, tomorrow).isoformat()})
    if due >= tomorrow:
        return made
    with get_state(tenant.client.application).sessions() as session:
        row = session.get(FollowUp, uuid.UUID(made["id"]))
        assert row is not None
        row.due_at = due
        session.commit()
    response = tenant.get(f"/followups/{made['id']}")
    assert response.status_code == 200, response.json
    return response.json
