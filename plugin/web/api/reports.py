"""/reports/referrals/<YYYY-MM>: the monthly referral report as JSON."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort

from ...schemas.reports import ReferralReportOut, ReportQuery
from ...services import reports
from .common import Blueprint, db_session, tenant_id

blp = Blueprint("reports", __name__, url_prefix="/reports",
                description="The monthly referral report (month in the tenant's time zone).")


@blp.route("/referrals/<string:month>")
class ReferralReport(MethodView):
    @blp.arguments(ReportQuery, location="query")
    @blp.response(200, ReferralReportOut)
    def get(self, args: dict, month: str) -> dict:
        """The report for month YYYY-MM compared with the previous month and the same month last year.

        A past month is stored the first time it is asked for and stays as it was; `regenerate=true`
        (an API key with the 'admin' scope) recomputes it. The current month is always live. An invalid
        month is a 422."""
        if args["regenerate"] and "admin" not in g.get("api_scopes", frozenset()):
            abort(403, message="Regenerating a report needs an API key with the 'admin' scope.")
        report = reports.get(db_session(), tenant_id(), month, regenerate=args["regenerate"])
        return reports.with_names(db_session(), tenant_id(), report)
