"""The monthly referral report for signed-in recruiters: GET /reports/referrals/<YYYY-MM> (HTML with inline
SVG charts, print-friendly A4), the same path with `.xlsx`, `.csv` (in the reader's convention, see
spreadsheets.py) or `.json`,
and POST …/regenerate (admins) to recompute a stored past month. An invalid month is a 404 here (a page
address that names no month), while the API answers 422. For admins, GET …/email shows the month's report
e-mail exactly as it is mailed (their own copy), and POST …/email/send mails it to them now.

GET /references: the tenant's references with class, score and the reasons for it; POST
/references/keep-in-touch proposes cadences for the ones who have gone quiet.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from plugin import formats, mail
from plugin.core import ratelimit
from plugin.errors import InvalidError
from plugin.extension import db_session, get_state
from plugin.followups import deliveries
from plugin.followups.jobs import mail_settings
from plugin.i18n import gettext, ngettext, select_locale
from plugin.login import account
from plugin.models import Person, Recruiter, Tenant, utcnow
from plugin.reports import figures, scoring, spreadsheets
from plugin.reports.schemas import ReferralReportOut

log = logging.getLogger(__name__)

# --- the monthly referral report ------------------------------------------------------------------------------

reports_bp = Blueprint("brobygger_reports", __name__)
account.setup(reports_bp)

FORMATS = ("html", "csv", "xlsx", "json")


def _split(spec: str) -> tuple[str, str]:
    """'2026-03.csv' → ('2026-03', 'csv'); a bare month is the HTML page."""
    month, dot, fmt = spec.rpartition(".")
    return (month, fmt) if dot and fmt in FORMATS[1:] else (spec, "html")


def _report(month: str, *, regenerate: bool = False) -> dict[str, Any]:
    me = account.recruiter()
    try:
        report = figures.get(db_session(), me.tenant_id, month, regenerate=regenerate)
    except InvalidError as exc:
        abort(404, exc.message)
    return figures.with_names(db_session(), me.tenant_id, report)


@reports_bp.get("/reports/referrals")
@account.require_recruiter
def this_month() -> Any:
    tenant = db_session().get(Tenant, account.recruiter().tenant_id)
    assert tenant is not None
    month = figures.current_month(ZoneInfo(tenant.time_zone))
    return redirect(url_for("brobygger_reports.report", spec=month.key))


@reports_bp.get("/reports/referrals/<spec>")
@account.require_recruiter
def report(spec: str) -> Any:
    month, fmt = _split(spec)
    data = _report(month)
    if fmt in ("csv", "xlsx"):
        return _spreadsheet(data, fmt)
    if fmt == "json":
        body = json.dumps(ReferralReportOut().dump(data), ensure_ascii=False, indent=2)
        return Response(body, mimetype="application/json")
    return render_template("brobygger/report_referrals.html", r=data, rows=rows(data), charts=charts(data),
                           labels=labels(), months=_neighbours(data["month"]))


@reports_bp.post("/reports/referrals/<month>/regenerate")
@account.require_recruiter
def regenerate(month: str) -> Any:
    if not account.recruiter().is_admin:
        abort(403, gettext("Only an admin can regenerate a stored report."))
    _report(month, regenerate=True)
    flash(gettext("The report was recomputed from today's data."))
    return redirect(url_for("brobygger_reports.report", spec=month))


SEND_NOW_LIMIT, SEND_NOW_WINDOW = 5, 3600  # a copy on request, not a way to fill an inbox


def _admin() -> Recruiter:
    me = account.recruiter()
    if not me.is_admin:
        abort(403, gettext("Only an admin receives the monthly report by e-mail."))
    return me


def _report_mail(month: str) -> mail.Mail:
    try:
        return deliveries.monthly_report_mail(db_session(), mail_settings(get_state()), _admin(), month, utcnow(),
                                              "<preview@brobygger.invalid>")
    except InvalidError as exc:
        abort(404, exc.message)


@reports_bp.get("/reports/referrals/<month>/email")
@account.require_recruiter
def email_preview(month: str) -> Any:
    """The HTML part of the e-mail, byte for byte as the admin would receive it."""
    return Response(_report_mail(month).html, mimetype="text/html")


@reports_bp.post("/reports/referrals/<month>/email/send")
@account.require_recruiter
def email_send(month: str) -> Any:
    me = _admin()
    try:  # a month that is no month is a 404 before anything is counted or sent
        figures.parse_month(month)
    except InvalidError as exc:
        abort(404, exc.message)
    state = get_state()
    if not ratelimit.hit(state.redis, f"report-mail:{me.id}", SEND_NOW_LIMIT, SEND_NOW_WINDOW).allowed:
        flash(gettext("The report has been sent to you several times this hour. Try again later."))
        return redirect(url_for("brobygger_reports.report", spec=month))
    try:
        deliveries.send_monthly_report_now(db_session(), mail_settings(state), me, month, utcnow())
    except mail.MailError as exc:
        log.error("monthly report not sent on request: %s", exc)
        flash(gettext("The e-mail could not be sent. Try again in a while; if it keeps failing, tell your "
                      "Brobygger operator."))
    else:
        flash(gettext("%(email)s will have the %(month)s report in a moment.", month=formats.month_title(month),
                      email=me.email))
    return redirect(url_for("brobygger_reports.report", spec=month))


def _neighbours(key: str) -> dict[str, str]:
    month = figures.parse_month(key)
    return {"previous": month.shift(-1).key, "next": month.shift(1).key}


# --- the figures as rows and charts -----------------------------------------------------------------------

def labels() -> dict[str, str]:
    """Words for the stored keys, in the page's language."""
    return {
        "linkedin": "LinkedIn", "event": gettext("Event"), "email": gettext("E-mail"), "phone": gettext("Phone"),
        "word_of_mouth": gettext("Word of mouth"), "other": gettext("Other"),
        "received": gettext("Received"), "contacted": gettext("Contacted"), "in_process": gettext("In process"),
        "hired": gettext("Hired"), "not_hired": gettext("Not hired"), "parked": gettext("Parked"),
        "referral": gettext("Referral"), "sourced": gettext("Sourced"), "applied": gettext("Applied"),
        "agency": gettext("Agency"),
    }


def rows(data: dict[str, Any]) -> list[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """Every figure as (section, [(item, {current, previous, last_year})]): the tables and the CSV."""
    words = labels()
    referrals, hires, days = data["referrals"], data["hires"], data["days_to_hire"]
    top, followups = data["top_references"], data["followups"]
    share = {k: (None if v is None else round(v * 100, 1)) for k, v in hires["referral_share"].items()}
    unnamed = gettext("(removed)")
    return [
        (gettext("Referrals"), [
            (gettext("Referrals"), referrals["total"]), (gettext("Unprompted"), referrals["unprompted"]),
            (gettext("Prompted"), referrals["prompted"]), (gettext("Referrers"), referrals["referrers"])]),
        (gettext("By channel"), [(words[r["channel"]], r) for r in data["by_channel"]]),
        (gettext("By referrer"), [(r["name"] or unnamed, r) for r in data["by_referrer"]]),
        (gettext("Conversion ladder"), [(words[r["status"]], r) for r in data["ladder"]]),
        (gettext("Hires by source"), [(words[r["source"]], r) for r in hires["by_source"]]
                 + [(gettext("All hires"), hires["total"]), (gettext("Referral share of hires (%)"), share)]),
        (gettext("Days to hire (median)"), [
            (gettext("Referrals"), days["referral"]["median"]), (gettext("Other sources"), days["other"]["median"])]),
        (gettext("Active top references"), [
            (gettext("New this month"), top["counts"]["new"]), (gettext("Steady"), top["counts"]["steady"]),
            (gettext("Gone quiet"), top["counts"]["gone_quiet"]),
            (gettext("All active top references"), top["counts"]["active_top"])]),
        (gettext("Follow-ups"), [
            (gettext("Completed"), followups["completed"]), (gettext("Overdue"), followups["overdue"])]),
        *([(gettext("Referrers who heard back"), [
            (gettext("Within 7 days"), data["heard_back"]["within_7_days"]),
            (gettext("Share of referrals (%)"), {k: (None if v is None else round(v * 100, 1))
                                                 for k, v in data["heard_back"]["share"].items()})])]
          if "heard_back" in data else []),  # a month stored before the figure existed has none
    ]


def charts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Bar charts of this month against the previous one (the numbers are in the tables as well)."""
    words = labels()

    def chart(key: str, title: str, items: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        peak = max([1, *(max(v["current"] or 0, v["previous"] or 0) for _, v in items)])
        bars = [{"label": label, "current": v["current"] or 0, "previous": v["previous"] or 0,
                 "w_current": round(300 * (v["current"] or 0) / peak, 1),
                 "w_previous": round(300 * (v["previous"] or 0) / peak, 1)} for label, v in items]
        return {"id": key, "title": title, "bars": bars}

    return [
        chart("channel", gettext("Referrals by channel"), [(words[r["channel"]], r) for r in data["by_channel"]]),
        chart("ladder", gettext("Conversion ladder"), [(words[r["status"]], r) for r in data["ladder"]]),
        chart("hires", gettext("Hires by source"), [(words[r["source"]], r) for r in data["hires"]["by_source"]]),
    ]


def table(data: dict[str, Any]) -> spreadsheets.Table:
    """One header row, then one block of rows per section."""
    periods = data["periods"]
    header = [gettext("Section"), gettext("Item"), periods["current"], periods["previous"], periods["last_year"]]
    body = [[section, item, *(values[p] for p in figures.PERIODS)]
            for section, items in rows(data) for item, values in items]
    return spreadsheets.Table(gettext("Referral report"), header, body,
                              percent_items=frozenset({gettext("Referral share of hires (%)")}))


def _spreadsheet(data: dict[str, Any], fmt: str) -> Response:
    sheet = table(data)
    if fmt == "xlsx":
        body = spreadsheets.to_xlsx(sheet)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, content_type = spreadsheets.to_csv(sheet, select_locale()), "text/csv; charset=utf-8"
    filename = f"referral-report-{data['month']}.{fmt}"
    # `content_type`, not `mimetype`: Werkzeug would add a charset to a text mimetype that already has one
    return Response(body, content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- the references page -------------------------------------------------------------------------------------

references_bp = Blueprint("brobygger_references", __name__)
account.setup(references_bp)


def class_names() -> dict[str, str]:
    return {"active_top": gettext("Active top reference"), "rising": gettext("Rising"), "steady": gettext("Steady"),
            "gone_quiet": gettext("Gone quiet"), "no_signal": gettext("No signal yet")}


def _names(person_ids: set[uuid.UUID], tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Names of the people referred, for the reasons: one query."""
    if not person_ids:
        return {}
    rows = db_session().execute(select(Person.id, Person.first_name, Person.last_name).where(
        Person.tenant_id == tenant_id, Person.id.in_(person_ids)))
    return {id_: f"{first} {last}".strip() for id_, first, last in rows}


@references_bp.get("/references")
@account.require_recruiter
def references() -> Any:
    tenant_id = account.recruiter().tenant_id
    found = scoring.scores(db_session(), tenant_id, now=utcnow())
    people = _names({r.person_id for s in found for r in s.reasons if r.kind == "referral"}, tenant_id)
    gone_quiet = sum(1 for s in found if s.klass == "gone_quiet" and s.person_id is not None)
    return render_template("brobygger/references.html", scores=found, classes=class_names(), statuses=labels(),
                           people=people, gone_quiet=gone_quiet)


@references_bp.post("/references/keep-in-touch")
@account.require_recruiter
def keep_in_touch() -> Any:
    created = scoring.propose_keep_in_touch(db_session(), account.recruiter().tenant_id, actor=account.actor())
    flash(ngettext("%(num)d keep-in-touch cadence proposed.", "%(num)d keep-in-touch cadences proposed.",
                   len(created)))
    return redirect(url_for("brobygger_references.references"))
