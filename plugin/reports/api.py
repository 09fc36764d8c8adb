"""/reports/referrals/<YYYY-MM>: the monthly referral report as JSON; /references/scores: every reference
with its score, class and the reasons for it."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort

from plugin.core.api import Blueprint, db_session, tenant_id
from plugin.models import utcnow
from plugin.reports import figures, scoring
from plugin.reports.schemas import MONTH_PATTERN, ReferralReportOut, ReportQuery, ScoreList, ScoreQuery

# --- /reports -------------------------------------------------------------------------------------------------

reports_blp = Blueprint("reports", __name__, url_prefix="/reports",
                description="The monthly referral report (month in the tenant's time zone).")


@reports_blp.route("/referrals/<string:month>", parameters=[{
    "in": "path", "name": "month", "required": True, "description": "YYYY-MM, of the years 2000 to 2199.",
    "schema": {"type": "string", "pattern": MONTH_PATTERN}}])
class ReferralReport(MethodView):
    @reports_blp.arguments(ReportQuery, location="query")
    @reports_blp.response(200, ReferralReportOut)
    def get(self, args: dict, month: str) -> dict:
        """The report for month YYYY-MM compared with the previous month and the same month last year.

        A past month is stored the first time it is asked for and stays as it was; `regenerate=true`
        (an API key with the 'admin' scope) recomputes it. The current month is always live. An invalid
        month is a 422."""
        if args["regenerate"] and "admin" not in g.get("api_scopes", frozenset()):
            abort(403, message="Regenerating a report needs an API key with the 'admin' scope.")
        report = figures.get(db_session(), tenant_id(), month, regenerate=args["regenerate"])
        return figures.with_names(db_session(), tenant_id(), report)


# --- /references/scores ---------------------------------------------------------------------------------------

scores_blp = Blueprint("reference_scores", __name__, url_prefix="/references/scores",
                description="Active top references: scores explained (see the scoring rules in the description).")


@scores_blp.route("")
class ReferenceScores(MethodView):
    @scores_blp.arguments(ScoreQuery, location="query")
    @scores_blp.response(200, ScoreList)
    def get(self, args: dict) -> dict:
        """All references, best first: class, score and the referrals and mentions that earned it.

        Counted over the last 12 months: unprompted, credited referrals weighted by status (hired 5, in
        process 3, contacted or received 1, not hired or parked 0.5) and positive mentions (1), each times
        (365 - age in days) / 365. Classes: active_top (score >= 4), rising (the last 91 days earned at
        least 1 point and at least as much as the nine months before), steady, gone_quiet (nothing for
        182 days), no_signal (nothing ever)."""
        now = utcnow()
        found = scoring.scores(db_session(), tenant_id(), now=now)
        if args["klass"]:
            found = [s for s in found if s.klass == args["klass"]]
        return {"as_of": now, "data": found}
