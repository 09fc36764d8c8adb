"""The reasons rules write on follow-ups, as templates: a follow-up keeps the template's key and parameters
beside its text, so whoever reads it — the owner in the digest and calendar, a colleague on the queue after
a reassignment — reads it in their own language, with the date written their way.

`reason` itself (what search and the API return) is written in the tenant's language when the rule runs.
A reason a recruiter typed has no key and is shown as typed.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from plugin.formats import current_locale, date_long
from plugin.i18n import force_locale, gettext
from plugin.privacy import texts


def _text(key: str, message: str) -> tuple[str, str]:
    """Marks `message` for the catalogue (extracted as `_text`'s second argument) under a stable key."""
    return key, message


TEMPLATES: dict[str, str] = dict((
    _text("connect_and_thank", "Connect and thank after the meeting"),
    _text("role_opening", "Before the role %(title)s opens (expected %(date)s)"),
    _text("art14_notice", "Send the privacy notice (GDPR art. 14): the data came from %(source)s"),
    _text("consent_renewal", "Consent expires on %(date)s: send the renewal link"),
))
DATE_PARAMS = frozenset({"date"})  # stored as ISO days, written as the reader writes a date


class HasReason(Protocol):
    reason: str
    reason_key: str | None
    reason_params: dict[str, Any] | None


def _values(params: dict[str, Any]) -> dict[str, Any]:
    values = dict(params)
    for name in DATE_PARAMS & values.keys():
        if values[name]:
            values[name] = date_long(date.fromisoformat(str(values[name])))
    if "source_category" in values:  # where a person's data came from, in the reader's words
        values["source"] = texts.source_text(current_locale().language, str(values["source_category"]),
                                             str(values.get("source_detail", "")))
    return values


def render(key: str, params: dict[str, Any]) -> str:
    """The reason in the current locale."""
    return gettext(TEMPLATES[key], **_values(params))


def stored(language: str, key: str, params: dict[str, Any]) -> str:
    """The reason as stored in `reason`: in `language` (the tenant's)."""
    with force_locale(language):
        return render(key, params)


def text(followup: HasReason) -> str:
    """What a page, the digest or the calendar shows as the follow-up's reason, in the current locale
    (the template filter `reason`)."""
    if followup.reason_key in TEMPLATES:
        try:
            return render(str(followup.reason_key), followup.reason_params or {})
        except (KeyError, ValueError, TypeError):  # parameters from an older template: the stored words
            pass
    return followup.reason
