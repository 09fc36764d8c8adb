"""A tenant's rule and calendar settings: typed defaults over the free-form `Tenant.settings` JSON.

Only the keys named in `DEFAULTS` are ours; other keys in the stored dict belong to other features and
are kept untouched on update. Stored values are validated on the way in, and read leniently on the way
out (a value of the wrong type falls back to its default), so a hand-edited row never breaks a rule.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.errors import InvalidError
from plugin.models import Tenant

MAX_DAYS = 3650  # ten years: longer is not keeping in touch
TIER_NAME_LENGTH = 32  # Cadence.tier

DEFAULT_TIERS: dict[str, tuple[int, int]] = {"close": (30, 60), "standard": (90, 180), "light": (180, 365)}


@dataclass(frozen=True)
class TenantSettings:
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
        data = asdict(self)
        data["cadence_tiers"] = {name: list(days) for name, days in self.cadence_tiers.items()}
        return data


DEFAULTS = TenantSettings()
_BOOLS = ("rule_connect_and_thank", "rule_cadence_proposal", "rule_role_opening", "skip_weekends_and_holidays")
_INTS = {"role_lead_weeks": (0, 104), "wake_notice_days": (0, 90)}
KEYS = frozenset(DEFAULTS.as_dict())


def from_dict(stored: dict[str, Any] | None) -> TenantSettings:
    """Settings from a stored dict; anything missing or malformed is its default."""
    stored = stored or {}
    values: dict[str, Any] = {}
    for key in _BOOLS:
        if isinstance(stored.get(key), bool):
            values[key] = stored[key]
    for key in _INTS:
        if _is_int(stored.get(key)):
            values[key] = stored[key]
    try:
        tiers = _tiers(stored["cadence_tiers"]) if "cadence_tiers" in stored else dict(DEFAULT_TIERS)
    except InvalidError:
        tiers = dict(DEFAULT_TIERS)
    default_tier = stored.get("default_tier", DEFAULTS.default_tier)
    if default_tier not in tiers:
        default_tier = DEFAULTS.default_tier if DEFAULTS.default_tier in tiers else min(tiers)
    return TenantSettings(**values, cadence_tiers=tiers, default_tier=default_tier)


def for_tenant(tenant: Tenant) -> TenantSettings:
    return from_dict(tenant.settings)


def load(session: Session, tenant_id: uuid.UUID) -> TenantSettings:
    tenant = session.get(Tenant, tenant_id)
    return from_dict(tenant.settings if tenant else None)


def validate(changes: dict[str, Any], current: TenantSettings = DEFAULTS) -> TenantSettings:
    """The settings `current` becomes with `changes`; a 422 naming every bad key otherwise."""
    errors: dict[str, list[str]] = {}
    for key in sorted(set(changes) - KEYS):
        errors[key] = ["Unknown setting."]
    for key in _BOOLS:
        if key in changes and not isinstance(changes[key], bool):
            errors[key] = ["Must be true or false."]
    for key, (low, high) in _INTS.items():
        if key in changes and not (_is_int(changes[key]) and low <= changes[key] <= high):
            errors[key] = [f"Must be a whole number from {low} to {high}."]
    merged = {**current.as_dict(), **{k: v for k, v in changes.items() if k in KEYS and k not in errors}}
    try:
        merged["cadence_tiers"] = _tiers(merged["cadence_tiers"])
    except InvalidError as exc:
        errors.update(exc.errors)
        merged["cadence_tiers"] = current.cadence_tiers
    if "default_tier" not in errors and merged["default_tier"] not in merged["cadence_tiers"]:
        errors["default_tier"] = ["Must name one of cadence_tiers."]
    if errors:
        raise InvalidError("The settings have invalid values: " + ", ".join(sorted(errors)) + ".", errors)
    return TenantSettings(**merged)


def update(session: Session, tenant_id: uuid.UUID, changes: dict[str, Any], actor: Actor) -> TenantSettings:
    """Change some settings; keys of other features in `Tenant.settings` are kept."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise InvalidError("Unknown tenant.")
    settings = validate(changes, for_tenant(tenant))
    tenant.settings = {**(tenant.settings or {}), **{k: settings.as_dict()[k] for k in changes}}
    audit(session, tenant_id, actor, "update", "tenant", tenant_id, [f"settings.{k}" for k in changes])
    session.commit()
    return settings


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tiers(value: Any) -> dict[str, tuple[int, int]]:
    """{name: [ideal_days, max_days]} with 1 <= ideal <= max <= MAX_DAYS; at least one tier."""
    if not isinstance(value, dict) or not value:
        raise InvalidError("Bad cadence tiers.", {"cadence_tiers": ["Must map tier names to [ideal, max] days."]})
    tiers: dict[str, tuple[int, int]] = {}
    errors: dict[str, list[str]] = {}
    for name, days in value.items():
        path = f"cadence_tiers.{name}"
        if not isinstance(name, str) or not 1 <= len(name) <= TIER_NAME_LENGTH:
            errors[path] = [f"A tier name has 1 to {TIER_NAME_LENGTH} characters."]
        elif (not isinstance(days, list | tuple) or len(days) != 2 or not all(_is_int(d) for d in days)
              or not 1 <= days[0] <= days[1] <= MAX_DAYS):
            errors[path] = [f"Must be [ideal, max] days with 1 <= ideal <= max <= {MAX_DAYS}."]
        else:
            tiers[name] = (days[0], days[1])
    if errors:
        raise InvalidError("Bad cadence tiers.", errors)
    return tiers
