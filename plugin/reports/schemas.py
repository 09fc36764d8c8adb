"""The monthly referral report and reference scores, as the API shows them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from plugin.core.schemas import BaseSchema, QueryFlag


def _triple(value: fields.Field) -> dict[str, fields.Field]:
    return {name: value.__class__(allow_none=True) for name in ("current", "previous", "last_year")}


Triple = Schema.from_dict(_triple(fields.Integer()), name="Triple")
FloatTriple = Schema.from_dict(_triple(fields.Float()), name="FloatTriple")


def _row(key: str, name: str) -> type[Schema]:
    return Schema.from_dict({key: fields.String(), **_triple(fields.Integer())}, name=name)


class Referrer(Schema):
    reference_id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "Null when the reference has been removed."})
    current = fields.Integer()
    previous = fields.Integer()
    last_year = fields.Integer()
    unprompted = fields.Integer(metadata={"description": "Of this month's referrals."})
    hired = fields.Integer(metadata={"description": "Of this month's referrals."})


class TopReference(Schema):
    reference_id = fields.UUID()
    name = fields.String(allow_none=True)
    score = fields.Float()


class ReportReferrals(Schema):
    total = fields.Nested(Triple)
    unprompted = fields.Nested(Triple)
    prompted = fields.Nested(Triple)
    referrers = fields.Nested(Triple, metadata={"description": "Distinct referrers."})


class Hires(Schema):
    by_source = fields.List(fields.Nested(_row("source", "HiresBySource")))
    total = fields.Nested(Triple)
    referral = fields.Nested(Triple)
    referral_share = fields.Nested(FloatTriple, metadata={"description": "0..1; null when nobody was hired."})


class DaysToHireGroup(Schema):
    median = fields.Nested(FloatTriple)
    hires = fields.Nested(Triple)


class DaysToHire(Schema):
    referral = fields.Nested(DaysToHireGroup)
    other = fields.Nested(DaysToHireGroup)


class TopReferenceCounts(Schema):
    new = fields.Nested(Triple)
    steady = fields.Nested(Triple)
    gone_quiet = fields.Nested(Triple)
    active_top = fields.Nested(Triple, metadata={"description": "All active top references at the period's end."})


class TopReferences(Schema):
    new = fields.List(fields.Nested(TopReference))
    steady = fields.List(fields.Nested(TopReference))
    gone_quiet = fields.List(fields.Nested(TopReference))
    counts = fields.Nested(TopReferenceCounts)


class Followups(Schema):
    completed = fields.Nested(Triple)
    overdue = fields.Nested(Triple)


class HeardBack(Schema):
    within_7_days = fields.Nested(Triple, metadata={"description": "The period's referrals whose referrer was sent "
                                                                  "a note within 7 days of referring."})
    share = fields.Nested(FloatTriple, metadata={"description": "0..1; null without referrals."})


class ReferralReportOut(Schema):
    kind = fields.String()
    month = fields.String()
    time_zone = fields.String()
    periods = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "{current, previous, last_year}: the months compared."})
    complete = fields.Boolean(metadata={"description": "Whether the month is over."})
    stored = fields.Boolean(metadata={"description": "A stored snapshot (past months) rather than live figures."})
    empty = fields.Boolean(metadata={"description": "Nothing happened in the month."})
    generated_at = fields.DateTime()
    referrals = fields.Nested(ReportReferrals)
    by_channel = fields.List(fields.Nested(_row("channel", "ReferralsByChannel")))
    by_referrer = fields.List(fields.Nested(Referrer), metadata={"description": "The month's top 10 referrers."})
    ladder = fields.List(fields.Nested(_row("status", "ReferralLadder")))
    hires = fields.Nested(Hires)
    days_to_hire = fields.Nested(DaysToHire)
    top_references = fields.Nested(TopReferences)
    followups = fields.Nested(Followups)
    heard_back = fields.Nested(HeardBack, metadata={"description": "Absent from reports stored before it existed."})


MONTH_PATTERN = r"^(20|21)[0-9]{2}-(0[1-9]|1[0-2])$"  # what figures.parse_month takes


class ReportQuery(BaseSchema):
    regenerate = QueryFlag(load_default=False, metadata={
        "description": "Recompute a stored past month and replace its snapshot; needs the 'admin' scope."})


CLASSES = ("active_top", "rising", "steady", "gone_quiet", "no_signal")


class ReasonOut(Schema):
    kind = fields.String(metadata={"description": "referral or positive_mention"})
    id = fields.UUID(metadata={"description": "The referral or the touchpoint."})
    person_id = fields.UUID()
    at = fields.DateTime()
    status = fields.String(allow_none=True)
    weight = fields.Float()
    decay = fields.Float(metadata={"description": "(365 - age in days) / 365"})
    points = fields.Float(metadata={"description": "weight * decay"})


class ReferenceScoreOut(Schema):
    reference_id = fields.UUID()
    display_name = fields.String()
    kind = fields.String()
    person_id = fields.UUID(allow_none=True)
    score = fields.Float()
    recent = fields.Float(metadata={"description": "Points earned in the last 91 days."})
    last_event_at = fields.DateTime(allow_none=True)
    klass = fields.String(data_key="class", metadata={"description": " / ".join(CLASSES)})
    reasons = fields.List(fields.Nested(ReasonOut))


class ScoreList(Schema):
    as_of = fields.DateTime()
    data = fields.List(fields.Nested(ReferenceScoreOut))


class ScoreQuery(BaseSchema):
    klass = fields.String(data_key="class", load_default=None, validate=validate.OneOf(CLASSES))
