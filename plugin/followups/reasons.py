"""The reasons rules write on follow-ups, as templates: a follow-up keeps the template's key and parameters
beside its text, so whoever reads it — the owner in the digest and calendar, a colleague on the queue after
a reassignment — reads it in their own language, with the date written their way.

`reason` itself (what search and the API return) is written in the tenant's language when the rule runs.
A reason a recruiter typed has no key and is shown as typed.
"""

from __future__ import annotations

from collections.abc import Hashable
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


def text(followup: HasReason, seen: dict[Hashable, str] | None = None) -> str:
    """What a page, the digest or the calendar shows as the follow-up's reason, in the current locale
    (the template filter `reason`). A page of many rows passes `seen`, a dict of its own: a template with the
    same parameters is then rendered once for the page (a queue of rule-made follow-ups repeats a few)."""
    if followup.reason_key in TEMPLATES:
        params = followup.reason_params or {}
        key = _seen_key(followup.reason_key, params) if seen is not None else None
        if key is not None and seen is not None and key in seen:
            return seen[key]
        try:
            shown = render(str(followup.reason_key), params)
        except (KeyError, ValueError, TypeError):  # parameters from an older template: the stored words
            return followup.reason
        if key is not None and seen is not None:
            seen[key] = shown
        return shown
    return followup.reason


def _seen_key(key: str | None, params: dict[str, Any]) -> Hashable | None:
    """The template and its parameters as a dict key; None when a parameter is not hashable (a list)."""
    found = (key, tuple(sorted(params.items())))
    try:
        hash(found)
    except TypeError:
        return None
    return found
