"""The report's "referrers who heard back within 7 days": counted by hand on a small fixture."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plugin.models import Message
from plugin.reports import figures
from tests.reports.test_reports import MARCH, NOW, Fixture, at, t


def _note(f: Fixture, referral: Any, status: str, sent: str | None) -> None:
    f.add(Message(tenant_id=f.tenant_id, kind="referrer_note", referral_id=referral.id, status=status,
                  subject="Takk", body="Takk", reason="Takk", sent_at=at(sent) if sent else None))


def test_referrers_who_heard_back_within_seven_days(session: Session, tenant: Any) -> None:
    f = Fixture(session, tenant.id)
    anna, bjorn = f.reference("Anna"), f.reference("Bjørn")
    quick = f.referral(anna, "2026-03-05 10:00", "linkedin", "received")
    _note(f, quick, "sent", "2026-03-11 09:00")  # 6 days: heard back
    slow = f.referral(anna, "2026-03-10 10:00", "event", "received")
    _note(f, slow, "sent", "2026-03-18 10:00")  # 8 days: too late
    drafted = f.referral(bjorn, "2026-03-12 10:00", "email", "received")
    _note(f, drafted, "draft", None)  # written but never sent: nobody heard anything
    f.referral(bjorn, "2026-03-20 10:00", "phone", "received")  # no note at all
    february = f.referral(bjorn, "2026-02-15 10:00", "phone", "received")
    _note(f, february, "sent", "2026-02-15 12:00")
    session.commit()

    report = figures.build(session, tenant.id, MARCH, now=NOW)

    assert report["heard_back"]["within_7_days"] == t(1, 1, 0)
    assert report["heard_back"]["share"] == t(0.25, 1.0, None)  # four March referrals; none in March 2025
