"""Reference scores and classes on a hand-built history; the expected values are worked out below.

Scored at NOW = 2026-03-01 12:00 UTC. Points = weight * (365 - age in days) / 365; weights: hired 5,
in process 3, contacted 1, received 1, not hired 0.5, parked 0.5, positive mention 1. Ages are chosen as
multiples of 36.5 days, so every decay factor is a round tenth.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from plugin.models import (
    Cadence,
    Person,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    ReferralStatus,
    Touchpoint,
    TouchpointKind,
)
from plugin.reports import scoring

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class History:
    """Rows for one tenant, added straight to the database."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session, self.tenant_id = session, tenant_id

    def person(self, first: str, **kw: Any) -> Person:
        person = Person(tenant_id=self.tenant_id, first_name=first, **kw)
        self.session.add(person)
        self.session.flush()
        return person

    def reference(self, kind: ReferenceKind = ReferenceKind.OUTSIDER, **kw: Any) -> Reference:
        reference = Reference(tenant_id=self.tenant_id, kind=kind, **kw)
        self.session.add(reference)
        self.session.flush()
        return reference

    def referral(self, reference: Reference, days: float, status: ReferralStatus, *, prompted: bool = False,
                 credited: bool = True, person: Person | None = None) -> Referral:
        referral = Referral(tenant_id=self.tenant_id, reference_id=reference.id,
                            person_id=(person or self.person("Referred")).id, channel=ReferralChannel.LINKEDIN,
                            prompted=prompted, status=status, referred_at=ago(days), status_changed_at=ago(days),
                            credited=credited)
        self.session.add(referral)
        self.session.flush()
        return referral

    def mention(self, person: Person, days: float) -> Touchpoint:
        touch = Touchpoint(tenant_id=self.tenant_id, person_id=person.id, kind=TouchpointKind.POSITIVE_MENTION,
                           occurred_at=ago(days), summary="Spoke warmly of us at a meetup")
        self.session.add(touch)
        self.session.flush()
        return touch


@pytest.fixture
def history(session: Session, tenant: Any) -> Iterator[dict[str, Any]]:
    h = History(session, tenant.id)
    anna, dag = h.person("Anna"), h.person("Dag")
    rita = Recruiter(tenant_id=tenant.id, email="rita@acme.no", name="Rita")
    session.add(rita)
    session.flush()
    refs = {
        "anna": h.reference(ReferenceKind.EMPLOYEE, person_id=anna.id),
        "bjorn": h.reference(name="Bjørn Ærø"),
        "rita": h.reference(ReferenceKind.EMPLOYEE, recruiter_id=rita.id),
        "dag": h.reference(ReferenceKind.CLIENT, person_id=dag.id),
        "eva": h.reference(name="Eva"),
        "frode": h.reference(name="Frode"),
    }
    # Anna: hired, unprompted, 73 days ago: 5 * (365 - 73) / 365 = 5 * 0.8 = 4.0
    #       positive mention 292 days ago:    1 * (365 - 292) / 365 = 0.2
    #       prompted referral (in process), 10 days ago: not counted (she was asked)
    #       unprompted referral 5 days ago without the credit (another referrer was first): not counted
    #       score 4.2 >= 4.0 -> active_top
    hired = h.referral(refs["anna"], 73, ReferralStatus.HIRED)
    mention = h.mention(anna, 292)
    h.referral(refs["anna"], 10, ReferralStatus.IN_PROCESS, prompted=True)
    h.referral(refs["anna"], 5, ReferralStatus.RECEIVED, credited=False)
    # Bjørn: in process 36.5 days ago: 3 * 0.9 = 2.7 (within the last 91 days)
    #        received 146 days ago:    1 * (365 - 146) / 365 = 1 * 0.6 = 0.6
    #        score 3.3 < 4; recent 2.7 >= 1 and >= older 0.6 -> rising
    h.referral(refs["bjorn"], 36.5, ReferralStatus.IN_PROCESS)
    h.referral(refs["bjorn"], 146, ReferralStatus.RECEIVED)
    # Rita: received 146 days ago 0.6; contacted 109.5 days ago 1 * 0.7 = 0.7; parked 73 days ago 0.5 * 0.8 = 0.4
    #       score 1.7; recent 0.4 < 1 -> steady
    h.referral(refs["rita"], 146, ReferralStatus.RECEIVED)
    h.referral(refs["rita"], 109.5, ReferralStatus.CONTACTED)
    h.referral(refs["rita"], 73, ReferralStatus.PARKED)
    # Dag: hired 219 days ago: 5 * (365 - 219) / 365 = 5 * 0.4 = 2.0; nothing for 219 > 182 days -> gone_quiet
    h.referral(refs["dag"], 219, ReferralStatus.HIRED)
    # Eva: only a prompted referral -> no counted event ever -> no_signal, score 0
    h.referral(refs["eva"], 20, ReferralStatus.HIRED, prompted=True)
    # Frode: one referral 400 days ago, outside the 12-month window: score 0, but he was active -> gone_quiet
    h.referral(refs["frode"], 400, ReferralStatus.RECEIVED)
    session.commit()
    yield {"refs": refs, "hired": hired, "mention": mention, "anna": anna, "dag": dag}


def _by_name(found: list[scoring.ReferenceScore]) -> dict[str, scoring.ReferenceScore]:
    return {s.display_name: s for s in found}


def test_scores_and_classes_match_the_worked_example(session: Session, tenant: Any, history: dict) -> None:
    found = scoring.scores(session, tenant.id, now=NOW)
    by_name = _by_name(found)
    assert {name: (s.score, s.klass) for name, s in by_name.items()} == {
        "Anna": (4.2, "active_top"), "Bjørn Ærø": (3.3, "rising"), "Rita": (1.7, "steady"),
        "Dag": (2.0, "gone_quiet"), "Eva": (0.0, "no_signal"), "Frode": (0.0, "gone_quiet")}
    assert by_name["Bjørn Ærø"].recent == 2.7
    assert by_name["Rita"].recent == 0.4
    # Best first: by class, then score.
    assert [s.display_name for s in found] == ["Anna", "Bjørn Ærø", "Rita", "Dag", "Frode", "Eva"]


def test_reasons_carry_the_arithmetic(session: Session, tenant: Any, history: dict) -> None:
    anna = _by_name(scoring.scores(session, tenant.id, now=NOW))["Anna"]
    assert [(r.kind, r.id, r.status, r.weight, r.decay, r.points) for r in anna.reasons] == [
        ("referral", history["hired"].id, "hired", 5.0, 0.8, 4.0),
        ("positive_mention", history["mention"].id, None, 1.0, 0.2, 0.2)]
    assert sum(r.points for r in anna.reasons) == pytest.approx(anna.score)
    assert anna.last_event_at == ago(73)


def test_classify_thresholds() -> None:
    # Exactly 182 days of silence is gone quiet; a day less is not.
    assert scoring.classify(scoring.Totals(1.0, 0.0, ago(182)), NOW) == "gone_quiet"
    assert scoring.classify(scoring.Totals(1.0, 0.0, ago(181)), NOW) == "steady"
    assert scoring.classify(scoring.Totals(4.0, 0.0, ago(100)), NOW) == "active_top"
    # Rising needs at least 1 recent point and at least as much recently as before.
    assert scoring.classify(scoring.Totals(2.0, 1.0, ago(10)), NOW) == "rising"
    assert scoring.classify(scoring.Totals(2.1, 1.0, ago(10)), NOW) == "steady"
    assert scoring.classify(scoring.Totals(0.9, 0.9, ago(10)), NOW) == "steady"
    assert scoring.classify(scoring.Totals(), NOW) == "no_signal"


def test_scores_take_a_fixed_number_of_queries(app: Any, session: Session, tenant: Any, history: dict) -> None:
    engine = session.get_bind()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        scoring.scores(session, tenant.id, now=NOW)
        few = len(statements)
        h = History(session, tenant.id)
        for i in range(15):
            reference = h.reference(name=f"Extra {i}")
            h.referral(reference, 10 + i, ReferralStatus.RECEIVED)
        session.commit()
        statements.clear()
        scoring.scores(session, tenant.id, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few == 5  # two aggregates (referrals, mentions), two for reasons, references


def test_gone_quiet_references_get_a_cadence_proposal_once(session: Session, tenant: Any, history: dict) -> None:
    created = scoring.propose_keep_in_touch(session, tenant.id, now=NOW)
    # Dag has a person record; Frode is an outsider without one, so there is nobody to keep a cadence for.
    assert [c.person_id for c in created] == [history["dag"].id]
    cadence = session.scalars(select(Cadence).where(Cadence.tenant_id == tenant.id)).one()
    assert (cadence.status, cadence.person_id) == ("proposed", history["dag"].id)
    assert scoring.propose_keep_in_touch(session, tenant.id, now=NOW) == []
    assert len(session.scalars(select(Cadence).where(Cadence.tenant_id == tenant.id)).all()) == 1


def test_scores_api_lists_classes_and_reasons(tenant: Any, other_tenant: Any, history: dict) -> None:
    response = tenant.get("/references/scores")
    assert response.status_code == 200, response.json
    body = response.json
    assert {row["display_name"] for row in body["data"]} == {"Anna", "Bjørn Ærø", "Rita", "Dag", "Eva", "Frode"}
    anna = next(row for row in body["data"] if row["display_name"] == "Anna")
    assert anna["class"] in scoring.CLASSES and anna["reasons"][0]["kind"] == "referral"
    assert set(anna["reasons"][0]) == {"kind", "id", "person_id", "at", "status", "weight", "decay", "points"}
    quiet = tenant.get("/references/scores", query_string={"class": "no_signal"}).json["data"]
    assert [row["display_name"] for row in quiet] == ["Eva"]
    assert tenant.get("/references/scores", query_string={"class": "famous"}).status_code == 422
    # Another tenant sees none of it.
    assert other_tenant.get("/references/scores").json["data"] == []
