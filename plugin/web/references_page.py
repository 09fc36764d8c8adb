"""GET /references: the signed-in recruiter's tenant's references with class, score and the reasons for it;
POST /references/keep-in-touch proposes cadences for the ones who have gone quiet."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select

from ..extension import db_session
from ..i18n import gettext, ngettext
from ..models import Person, utcnow
from ..services import scoring
from . import account
from .reports import labels

bp = Blueprint("brobygger_references", __name__)
account.setup(bp)


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


@bp.get("/references")
@account.require_recruiter
def references() -> Any:
    tenant_id = account.recruiter().tenant_id
    found = scoring.scores(db_session(), tenant_id, now=utcnow())
    people = _names({r.person_id for s in found for r in s.reasons if r.kind == "referral"}, tenant_id)
    gone_quiet = sum(1 for s in found if s.klass == "gone_quiet" and s.person_id is not None)
    return render_template("brobygger/references.html", scores=found, classes=class_names(), statuses=labels(),
                           people=people, gone_quiet=gone_quiet)


@bp.post("/references/keep-in-touch")
@account.require_recruiter
def keep_in_touch() -> Any:
    created = scoring.propose_keep_in_touch(db_session(), account.recruiter().tenant_id, actor=account.actor())
    flash(ngettext("%(num)d keep-in-touch cadence proposed.", "%(num)d keep-in-touch cadences proposed.",
                   len(created)))
    return redirect(url_for("brobygger_references.references"))
