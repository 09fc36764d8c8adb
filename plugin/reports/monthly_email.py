"""The monthly referral report by e-mail: on the 1st at 08:00 tenant time, to each active admin who has not
turned it off (`Recruiter.monthly_report_enabled`), exactly once.

One `Delivery` row per admin and month, keyed f"monthly_report:{recruiter_id}:{YYYY-MM}", is created by the
minute's `collect` job once the tenant's local clock has passed 08:00 on the 1st; the unique key makes a
second tick (or one after a scheduler restart that morning) create nothing. The rows then go through the
same claim → send → sent path as the daily digest (`deliveries.send`), so a row is mailed once; an admin who
has turned the report off still gets a row, which is skipped when its turn comes (the row is also what makes
the keep-in-touch proposals below happen once a month, whoever reads the mail). A scheduler
that was down all of the 1st still delivers until the end of the 3rd; later, a month is left unsent rather
than arriving out of the blue.

The mail carries the headline numbers and a link to the page. Composing it stores the month's snapshot, so
the page shows exactly the figures that were mailed. The same hook proposes keep-in-touch cadences for
references who have gone quiet (see `scoring`), once a month per tenant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plugin.formats import month_title, percent
from plugin.i18n import force_locale, gettext, pick_language
from plugin.models import Delivery, Recruiter, Tenant, uuid7
from plugin.reports import figures, scoring
from plugin.tenancy.recruiters import MailLinks

KIND = "monthly_report"
SEND_HOUR = 8
CATCH_UP_DAYS = 3  # the 1st to the 3rd


def key(recruiter_id: uuid.UUID, month: str) -> str:
    return f"{KIND}:{recruiter_id}:{month}"


def _due(tenant: Tenant, now: datetime) -> tuple[str, datetime] | None:
    """(the month to report, the UTC time it is due) when the tenant's clock is past 08:00 on the 1st
    (up to the catch-up limit); else None."""
    zone = ZoneInfo(tenant.time_zone)
    local = now.astimezone(zone)
    due_at = datetime(local.year, local.month, 1, SEND_HOUR, tzinfo=zone)
    if local < due_at or local.day > CATCH_UP_DAYS:
        return None
    return figures.Month(local.year, local.month).shift(-1).key, due_at.astimezone(UTC)


def create_deliveries(session: Session, now: datetime) -> list[uuid.UUID]:
    """This month's report row for every active admin of every tenant whose time has come and who has none
    yet; returns the ids created by this call. Commits."""
    admins = session.execute(select(Recruiter.id, Tenant).join(Tenant, Tenant.id == Recruiter.tenant_id)
                             .where(Recruiter.active.is_(True), Recruiter.is_admin.is_(True)))
    wanted: dict[str, dict[str, Any]] = {}
    for recruiter_id, tenant in admins:
        due = _due(tenant, now)
        if due is not None:
            wanted[key(recruiter_id, due[0])] = {
                "id": uuid7(), "tenant_id": tenant.id, "recruiter_id": recruiter_id, "kind": KIND,
                "key": key(recruiter_id, due[0]), "due_at": due[1], "status": "pending", "attempts": 0,
                "payload": {"month": due[0]}}
    if wanted:
        taken = set(session.scalars(select(Delivery.key).where(Delivery.key.in_(list(wanted)))))
        wanted = {k: row for k, row in wanted.items() if k not in taken}
    if not wanted:
        return []
    _insert_new(session, list(wanted.values()))
    created = list(session.scalars(select(Delivery.id).where(Delivery.id.in_([r["id"] for r in wanted.values()]))))
    session.commit()
    for tenant_id in {row["tenant_id"] for row in wanted.values() if row["id"] in created}:
        scoring.propose_keep_in_touch(session, tenant_id, now=now)
    return created


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> None:
    """A racing tick may have inserted the same key a moment ago: the unique key keeps one row."""
    table = Delivery.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(table).values(rows).on_conflict_do_nothing())


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def compose(session: Session, templates: Environment, recruiter: Recruiter, month: str, app_url: str,
            now: datetime, links: MailLinks) -> Composed:
    """The e-mail in the recruiter's language: headline numbers, the link to the full report, and `links` to
    the recruiter's settings and to unsubscribe."""
    report = figures.with_names(session, recruiter.tenant_id, figures.get(session, recruiter.tenant_id, month,
                                                                           now=now))
    link = f"{app_url.rstrip('/')}/reports/referrals/{month}"
    with force_locale(pick_language(recruiter.language), recruiter.region):
        subject = gettext("Brobygger: referral report for %(month)s", month=month_title(month))
        context = {"_": gettext, "r": report, "link": link, "headlines": headlines(report), "recruiter": recruiter,
                   "settings_url": links.settings, "unsubscribe_url": links.unsubscribe}
        return Composed(subject, templates.get_template("brobygger/email/monthly_report.txt").render(context),
                        templates.get_template("brobygger/email/monthly_report.html").render(context))


def headlines(report: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(label, this month, previous month) for the mail's few numbers; call inside the mail's locale."""
    share = report["hires"]["referral_share"]
    shares = {p: "—" if share[p] is None else percent(share[p]) for p in figures.PERIODS}
    top = report["top_references"]["counts"]
    return [
        (gettext("Referrals"), report["referrals"]["total"]["current"], report["referrals"]["total"]["previous"]),
        (gettext("Unprompted"), report["referrals"]["unprompted"]["current"],
         report["referrals"]["unprompted"]["previous"]),
        (gettext("Hires from referrals"), report["hires"]["referral"]["current"],
         report["hires"]["referral"]["previous"]),
        (gettext("Referral share of hires"), shares["current"], shares["previous"]),
        (gettext("New active top references"), top["new"]["current"], top["new"]["previous"]),
        (gettext("Gone quiet"), top["gone_quiet"]["current"], top["gone_quiet"]["previous"]),
        (gettext("Follow-ups completed"), report["followups"]["completed"]["current"],
         report["followups"]["completed"]["previous"]),
        (gettext("Follow-ups overdue"), report["followups"]["overdue"]["current"],
         report["followups"]["overdue"]["previous"]),
        *([(gettext("Referrers who heard back within 7 days"), report["heard_back"]["within_7_days"]["current"],
            report["heard_back"]["within_7_days"]["previous"])] if "heard_back" in report else []),
    ]
