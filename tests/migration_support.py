"""Rows written as an older revision's schema holds them, for tests of a migration's data step."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from plugin.models.tenancy import Tenant


def old_tenant(session: Session) -> uuid.UUID:
    """A tenant inserted with the columns every revision has, so later columns cannot break an older schema."""
    tenant_id = uuid.uuid4()
    now = datetime.now(UTC)
    session.execute(Tenant.__table__.insert().values(
        id=tenant_id, name="Fjord", default_language="nb", time_zone="Europe/Oslo", sidebar_secret_encrypted="x",
        ats_origins=[], settings={}, created_at=now, updated_at=now))
    return tenant_id
