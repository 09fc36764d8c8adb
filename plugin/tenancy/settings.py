"""A tenant's settings: one schema over the free-form `Tenant.settings` JSON.

Every key is declared here once: its type, range and description in the schema, its default in the typed
view. Two groups of keys have a schema, a typed view and an API resource each: the follow-up rules and
calendar (`RuleSettings`, at /tenant/settings) and privacy (`PrivacySettings`, at /privacy/settings).
Stored values are read leniently: a key missing or holding a value the schema would refuse is its
default, so a hand-edited row never breaks a rule. Changes are validated strictly: a 422 names every bad
key. Keys that are not ours (another feature's) are kept untouched on update.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.schemas import NO_NUL, BaseSchema, Flag, matching, whole
from plugin.errors import InvalidError, NotFoundError, flatten
from plugin.models import Tenant

MAX_DAYS = 3650  # ten years: longer is not keeping in touch
TIER_NAME_LENGTH = 32  # Cadence.tier
DEFAULT_TIERS: dict[str, tuple[int, int]] = {"close": (30, 60), "standard": (90, 180), "light": (180, 365)}


def _flag(description: str) -> fields.Boolean:
    """JSON true or false only: a switch set by "yes" or 1 is a typo, not a decision."""
    return Flag(metadata={"description": description})


def _whole(low: int, high: int, description: str) -> fields.Integer:
    return whole(low, high, metadata={"description": description})


TIERS_JSON_SCHEMA = {  # what Tiers checks, for the OpenAPI document
    "minProperties": 1, "propertyNames": {"minLength": 1, "maxLength": TIER_NAME_LENGTH, "pattern": NO_NUL},
    "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2,
                             "items": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}}}


class Tiers(fields.Dict):
    """{name: [ideal_days, max_days]} with 1 <= ideal <= max <= MAX_DAYS; at least one tier. An error names
    the tier (`cadence_tiers.<name>`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.List(fields.Integer()), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, tuple[int, int]]:
        if not isinstance(value, dict) or not value:
            raise ValidationError("Must map tier names to [ideal, max] days.")
        tiers: dict[str, tuple[int, int]] = {}
        errors: dict[str, list[str]] = {}
        for name, days in value.items():
            if not isinstance(name, str) or not 1 <= len(name) <= TIER_NAME_LENGTH:
                errors[str(name)] = [f"A tier name has 1 to {TIER_NAME_LENGTH} characters."]
            elif (not isinstance(days, list | tuple) or len(days) != 2 or not all(_is_int(d) for d in days)
                  or not 1 <= days[0] <= days[1] <= MAX_DAYS):
                errors[name] = [f"Must be [ideal, max] days with 1 <= ideal <= max <= {MAX_DAYS}."]
            else:
                tiers[name] = (int(days[0]), int(days[1]))
        if errors:
            raise ValidationError(errors)
        return tiers


class RuleSettingsSchema(BaseSchema):
    """The follow-up rules, the cadence tiers and the calendar."""

    rule_connect_and_thank = _flag("A logged meeting or interview schedules a thank-you the next working day.")
    rule_cadence_proposal = _flag("Someone met in the ATS and not hired gets a proposed keep-in-touch cadence.")
    rule_role_opening = _flag("The shortlist of an unadvertised role is followed up ahead of its expected opening.")
    role_lead_weeks = _whole(0, 104, "How many weeks before a role's expected opening its shortlist is followed up.")
    wake_notice_days = _whole(0, 90, "How many days before a snooze ends its owner is told.")
    skip_weekends_and_holidays = _flag("Move due dates off weekends and Norwegian public holidays.")
    cadence_tiers = Tiers(metadata={"description": "{tier: [ideal_days, max_days]}, ideal_days <= max_days; "
                                                   "replaces all tiers.", "json_schema": TIERS_JSON_SCHEMA})
    default_tier = fields.String(validate=validate.Length(min=1, max=TIER_NAME_LENGTH),
                                 metadata={"description": "The tier a new cadence gets; one of cadence_tiers."})


class PrivacySettingsSchema(BaseSchema):
    """Consent, retention and the art. 14 notice."""

    consent_months = _whole(1, 36, "How long consent lasts.")
    consent_extend_months = _whole(1, 36, "How long consent lasts when the person extends it.")
    consent_renewal_days = _whole(1, 180, "How many days before consent ends its owner is prompted to renew it.")
    retention_months = _whole(1, 120, "Months after the last touch that a legitimate interest lapses.")
    anonymise_grace_days = _whole(0, 90, "Days between a lapsed basis and anonymisation.")
    art14_notice_days = _whole(1, 30, "Days after collection that the art. 14 notice is due.")
    privacy_contact = fields.String(validate=validate.Length(max=254), metadata={
        "description": "The controller's privacy address in notices; else the owner's e-mail."})


REVIEW_CASES = ("first_contact", "confidential_role", "important")
REFERRER_NOTES = ("draft", "auto", "off")
TONE_KINDS = ("intensifier", "superlative", "unbacked_claim", "cliche")  # messages.tone.WORD_KINDS: found by words


A_WORD = r"^[^\u0000]*\w[^\u0000]*$"  # what the tone check can look for: at least one letter or digit, no NUL


class ToneAdditions(fields.Dict):
    """{kind: [word or phrase, …]}: the tenant's own words for the tone check, per kind of flag."""

    def __init__(self, **kwargs: Any) -> None:
        word = fields.String(validate=[validate.Length(min=2, max=60),
                                       matching(A_WORD, "Write a word or a phrase.")],
                             metadata={"pattern": A_WORD})
        super().__init__(keys=fields.String(validate=validate.OneOf(TONE_KINDS)),
                         values=fields.List(word, validate=validate.Length(max=100)), **kwargs)


class MessageSettingsSchema(BaseSchema):
    """Who reads a message before it goes out, notes to referrers, and the tenant's words for the tone check."""

    review = fields.List(fields.String(validate=validate.OneOf(REVIEW_CASES)), validate=validate.Length(max=3),
                         metadata={"description": "Which messages need a second reader before they are sent: a "
                                                  "first contact (no touch logged with the person yet), anything "
                                                  "about a confidential role, anything its author marks important. "
                                                  "Empty: none.", "uniqueItems": True})
    referrer_notes = fields.String(validate=validate.OneOf(REFERRER_NOTES), metadata={
        "description": "When a referral's status changes, its referrer's note is drafted for the person's owner "
                       "to approve (draft), sent at once (auto), or not written (off)."})
    tone_additions = ToneAdditions(metadata={"description": "Words or phrases the tone check flags besides its "
                                                            "own, by kind of flag."})


@dataclass(frozen=True)
class MessageSettings:
    review: tuple[str, ...] = ("confidential_role", "important")
    referrer_notes: str = "draft"
    tone_additions: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"review": list(self.review), "referrer_notes": self.referrer_notes,
                "tone_additions": {k: list(v) for k, v in self.tone_additions.items()}}


@dataclass(frozen=True)
class RuleSettings:
    rule_connect_and_thank: bool = True
    rule_cadence_proposal: bool = True
    rule_role_opening: bool = True
    role_lead_weeks: int = 6
    wake_notice_days: int = 3
    skip_weekends_and_holidays: bool = True
    cadence_tiers: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    default_tier: str = "standard"

    def tier(self, name: str) -> tuple[int, int]:
        """(ideal_days, max_days) of a tier; an unknown name is a 422 on `tier`."""
        if name not in self.cadence_tiers:
            raise InvalidError(f"No cadence tier {name!r} in this tenant.",
                               {"tier": [f"One of: {', '.join(sorted(self.cadence_tiers))}."]})
        return self.cadence_tiers[name]

    def as_dict(self) -> dict[str, Any]:
        return _RULES.dump(asdict(self))


@dataclass(frozen=True)
class PrivacySettings:
    consent_months: int = 12
    consent_extend_months: int = 24
    consent_renewal_days: int = 30
    retention_months: int = 24
    anonymise_grace_days: int = 7
    art14_notice_days: int = 21
    privacy_contact: str = ""  # the controller's privacy address in notices; else the owner's e-mail

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Reused: a schema holds no state between calls.
_RULES, _PRIVACY, _MESSAGES = RuleSettingsSchema(), PrivacySettingsSchema(), MessageSettingsSchema()
RULE_DEFAULTS = RuleSettings()


def _lenient(schema: Schema, stored: dict[str, Any] | None) -> dict[str, Any]:
    """The stored values the schema accepts, key by key; the rest are left to their defaults."""
    values: dict[str, Any] = {}
    for name, field_ in schema.fields.items():
        if name in (stored or {}):
            try:
                values[name] = field_.deserialize(stored[name])  # type: ignore[index]
            except ValidationError:
                continue
    return values


def rules_of(stored: dict[str, Any] | None) -> RuleSettings:
    """Rule settings from a stored dict; a default tier that names no tier falls back too."""
    values = _lenient(_RULES, stored)
    tiers = values.setdefault("cadence_tiers", dict(DEFAULT_TIERS))
    if values.get("default_tier", RULE_DEFAULTS.default_tier) not in tiers:
        values["default_tier"] = RULE_DEFAULTS.default_tier if RULE_DEFAULTS.default_tier in tiers else min(tiers)
    return RuleSettings(**values)


def privacy_of(stored: dict[str, Any] | None) -> PrivacySettings:
    return PrivacySettings(**_lenient(_PRIVACY, stored))


def messages_of(stored: dict[str, Any] | None) -> MessageSettings:
    values = _lenient(_MESSAGES, stored)
    if "review" in values:
        values["review"] = tuple(dict.fromkeys(values["review"]))
    return MessageSettings(**values)


def load_messages(session: Session, tenant_id: uuid.UUID) -> MessageSettings:
    return messages_of(_tenant(session, tenant_id).settings)


def update_messages(session: Session, tenant_id: uuid.UUID, changes: dict[str, Any], actor: Actor) -> MessageSettings:
    tenant = _tenant(session, tenant_id)
    merged = _validated(_MESSAGES, changes, messages_of(tenant.settings).as_dict())
    if len(set(merged["review"])) != len(merged["review"]):
        raise InvalidError("The settings have invalid values: review.", {"review": ["Name each case once."]})
    settings = MessageSettings(review=tuple(merged["review"]), referrer_notes=merged["referrer_notes"],
                               tone_additions=merged["tone_additions"])
    _store(session, tenant, settings.as_dict(), changes, actor)
    return settings


def load_rules(session: Session, tenant_id: uuid.UUID) -> RuleSettings:
    tenant = session.get(Tenant, tenant_id)
    return rules_of(tenant.settings if tenant else None)


def load_privacy(session: Session, tenant_id: uuid.UUID) -> PrivacySettings:
    return privacy_of(_tenant(session, tenant_id).settings)


def validate_rules(changes: dict[str, Any], current: RuleSettings = RULE_DEFAULTS) -> RuleSettings:
    """The rule settings `current` becomes with `changes`; a 422 naming every bad key otherwise."""
    merged = _validated(_RULES, changes, current.as_dict())
    if merged["default_tier"] not in merged["cadence_tiers"]:
        raise InvalidError("The settings have invalid values: default_tier.",
                           {"default_tier": ["Must name one of cadence_tiers."]})
    return RuleSettings(**merged)


def update_rules(session: Session, tenant_id: uuid.UUID, changes: dict[str, Any], actor: Actor) -> RuleSettings:
    tenant = _tenant(session, tenant_id)
    settings = validate_rules(changes, rules_of(tenant.settings))
    _store(session, tenant, settings.as_dict(), changes, actor)
    return settings


def update_privacy(session: Session, tenant_id: uuid.UUID, changes: dict[str, Any], actor: Actor) -> PrivacySettings:
    tenant = _tenant(session, tenant_id)
    settings = PrivacySettings(**_validated(_PRIVACY, changes, privacy_of(tenant.settings).as_dict()))
    _store(session, tenant, settings.as_dict(), changes, actor)
    return settings


def _validated(schema: Schema, changes: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`current` with `changes` loaded strictly over it (unknown keys and bad values are a 422)."""
    try:
        loaded = schema.load(changes, partial=True)
    except ValidationError as exc:
        errors = flatten(exc.messages)
        raise InvalidError("The settings have invalid values: " + ", ".join(sorted(errors)) + ".", errors) from None
    return {**schema.load(current), **loaded}


def _store(session: Session, tenant: Tenant, values: dict[str, Any], changes: dict[str, Any], actor: Actor) -> None:
    """Only the changed keys are written; other features' keys in `Tenant.settings` stay."""
    tenant.settings = {**(tenant.settings or {}), **{key: values[key] for key in changes}}
    audit(session, tenant.id, actor, "update", "tenant", tenant.id, [f"settings.{key}" for key in changes])
    session.commit()


def _tenant(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(f"No tenant with id {tenant_id}.")
    return tenant


def _is_int(value: Any) -> bool:
    """A whole JSON number (30.0 is one to JSON Schema, and to the document); never a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
