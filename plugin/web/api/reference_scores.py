"""/references/scores: every reference with its score, class and the reasons for it."""

from __future__ import annotations

from flask.views import MethodView

from ...models import utcnow
from ...schemas.reports import ScoreList, ScoreQuery
from ...services import scoring
from .common import Blueprint, db_session, tenant_id

blp = Blueprint("reference_scores", __name__, url_prefix="/references/scores",
                description="Active top references: scores explained (see the scoring rules in the description).")


@blp.route("")
class ReferenceScores(MethodView):
    @blp.arguments(ScoreQuery, location="query")
    @blp.response(200, ScoreList)
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
