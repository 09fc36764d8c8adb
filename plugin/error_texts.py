"""Errors as pages and the sidebar say them: in the reader's language, saying what to do, without field names.

The schemas and services are shared with the REST API, whose messages stay English and name fields
("Give exactly one of preset and due_on."). Pages translate at their boundary instead: every message our
schemas, marshmallow and the services write is matched against the English templates below (`{name}`
stands for any text, handed to the sentence), and the sentence of the first match is written in the current
locale. A message nothing matches is kept when the page is English, or replaced by a plain sentence for its
status; a message that is already in the page's language (a service that wrote it with `gettext`) is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from plugin.errors import flatten
from plugin.formats import current_locale, number
from plugin.i18n import domain, gettext, lazy_gettext

Sentence = Callable[[dict[str, str], str | None], str]

# Nouns (definite, capitalised: they start a sentence) for the fields our forms show, so a sentence can say
# «Notatet kan være høyst 5 000 tegn.» where the API says "Longer than maximum length 5000.".
SUBJECTS: dict[str, Any] = {
    "reason": lazy_gettext("The reason"), "summary": lazy_gettext("The summary"), "note": lazy_gettext("The note"),
    "title": lazy_gettext("The title"), "description": lazy_gettext("The description"),
    "location": lazy_gettext("The location"), "keywords": lazy_gettext("A keyword"),
    "referrer_name": lazy_gettext("The referrer's name"), "name": lazy_gettext("The name"),
    "first_name": lazy_gettext("The first name"), "last_name": lazy_gettext("The last name"),
    "email": lazy_gettext("The e-mail address"), "referrer_email": lazy_gettext("The e-mail address"),
}


def _missing(_: dict[str, str], subject: str | None) -> str:
    if subject:
        return gettext("%(subject)s is missing.", subject=subject)
    return gettext("Fill in the fields that are needed.")


def _too_long(values: dict[str, str], subject: str | None) -> str:
    return gettext("%(subject)s can be at most %(max)s characters.", subject=subject or gettext("The text"),
                   max=_count(values["max"]))


def _too_short(values: dict[str, str], subject: str | None) -> str:
    if values["min"] == "1":
        return _missing(values, subject)
    return gettext("%(subject)s must be at least %(min)s characters.", subject=subject or gettext("The text"),
                   min=_count(values["min"]))


def _length_between(values: dict[str, str], subject: str | None) -> str:
    if values["min"] == "0":  # "between 0 and 20000" is a maximum
        return _too_long(values, subject)
    return gettext("%(subject)s must be %(min)s to %(max)s characters.", subject=subject or gettext("The text"),
                   min=_count(values["min"]), max=_count(values["max"]))


def _count(text: str) -> str:
    """A count as the reader writes it (5 000 / 5,000); as written when it is not a number."""
    try:
        return number(int(text), current_locale())
    except ValueError:
        return text


def _fixed(message: Callable[[], str]) -> Sentence:
    return lambda _values, _subject: message()


def date_rule(rule: str) -> str:
    """What to do about a date the rules refuse (plugin/core/guards.py names the rules), wherever it is said."""
    if rule == "due_past":
        return gettext("Choose a date from today onwards.")
    if rule == "touch_future":
        return gettext("Choose today or an earlier day: a touch is something that has happened. "
                       "To plan one, schedule a follow-up.")
    if rule == "snooze_past":
        return gettext("Snooze until a time after now.")
    raise ValueError(rule)


def _reload() -> str:
    return gettext("Something in the form was not recognised. Reload the page and try again.")


def _gone() -> str:
    return gettext("We could not find that; it may have been removed. Reload the page and try again.")


def _changed() -> str:
    return gettext("This has changed in the meantime. Reload the page and try again.")


def _vendor(values: dict[str, str]) -> str:
    vendor = values.get("vendor", "")
    return vendor.title() if vendor.islower() else vendor


# (English template, sentence): the first template that matches the whole message wins.
_TEMPLATES: list[tuple[str, Sentence]] = [
    # Across fields: what to do, never which fields.
    ("Give exactly one of preset and due_on.", _fixed(lambda: gettext("Choose a date or one of the snooze options."))),
    ("Give exactly one of preset and until.", _fixed(lambda: gettext("Choose a time or one of the snooze options."))),
    ("Name the referrer.", _fixed(lambda: gettext("Write who referred the person."))),
    ("The referrer's name must not be blank.", _fixed(lambda: gettext("Write who referred the person."))),
    ("Give exactly one of {names}.", _fixed(lambda: gettext("Fill in one of the choices, not several."))),
    ("Give a tier, or both ideal_days and max_days.",
     _fixed(lambda: gettext("Choose a cadence, or give both the ideal and the longest interval."))),
    ("Must not exceed max_days.", _fixed(lambda: gettext("The ideal interval cannot be longer than the longest."))),
    ("The ideal interval cannot be longer than the maximum.",
     _fixed(lambda: gettext("The ideal interval cannot be longer than the longest."))),
    ("Must be after due_from.", _fixed(lambda: gettext("The end must come after the start."))),
    ("Must not be before start.", _fixed(lambda: gettext("The end must come after the start."))),
    ("Must not be before referred_from.", _fixed(lambda: gettext("The end must come after the start."))),
    ("Must not repeat an address.", _fixed(lambda: gettext("Give each e-mail address only once."))),
    ("Nothing to change: send at least one field.", _fixed(lambda: gettext("Change at least one thing."))),
    ("Must not contain NUL characters.", _fixed(lambda: gettext("Remove the control characters from the text."))),
    ("Must be between the years 1900 and 2200.", _fixed(lambda: gettext("Choose a date between 1900 and 2200."))),
    ("Must be in the future.", _fixed(lambda: gettext("Choose a time later than now."))),
    ("Must be today or a later day; today is {today} in {zone}.",
     _fixed(lambda: date_rule("due_past"))),
    ("Must be today or an earlier day; today is {today} in {zone}. A touch that is still to come is a follow-up.",
     _fixed(lambda: date_rule("touch_future"))),
    ("Must not be blank.", _missing),
    # marshmallow's own messages.
    ("Missing data for required field.", _missing),
    ("Field may not be null.", _missing),
    ("Shorter than minimum length {min}.", _too_short),
    ("Longer than maximum length {max}.", _too_long),
    ("Length must be between {min} and {max}.", _length_between),
    ("Not a valid date.", _fixed(lambda: gettext("Choose a valid date."))),
    ("Not a valid datetime.", _fixed(lambda: gettext("Choose a valid date and time."))),
    ("Not a valid {awareness} {kind}.", _fixed(lambda: gettext("Choose a valid date and time."))),
    ('"{input}" cannot be formatted as a {kind}.', _fixed(lambda: gettext("Choose a valid date."))),
    ("Not a valid email address.", _fixed(lambda: gettext("Write a valid e-mail address."))),
    ("Not a valid URL.", _fixed(lambda: gettext("Write a web address that starts with https://."))),
    ("Not a valid integer.", _fixed(lambda: gettext("Write a whole number."))),
    ("Not a valid number.", _fixed(lambda: gettext("Write a number."))),
    ("Number too large.", _fixed(lambda: gettext("Write a smaller number."))),
    ("Must be greater than or equal to {min} and less than or equal to {max}.",
     lambda values, _: gettext("Write a number from %(min)s to %(max)s.", min=_count(values["min"]),
                               max=_count(values["max"]))),
    ("Must be greater than or equal to {min}.",
     lambda values, _: gettext("Write a number of at least %(min)s.", min=_count(values["min"]))),
    ("Must be less than or equal to {max}.",
     lambda values, _: gettext("Write a number of at most %(max)s.", max=_count(values["max"]))),
    ("Must be one of: {choices}.", _fixed(lambda: gettext("Choose one of the options."))),
    ("Not a valid UUID.", _fixed(_reload)),
    ("Not a valid boolean.", _fixed(_reload)),
    ("Not a valid string.", _fixed(_reload)),
    ("Not a valid list.", _fixed(_reload)),
    ("Not a valid mapping type.", _fixed(_reload)),
    ("Invalid type.", _fixed(_reload)),
    ("Invalid input type.", _fixed(_reload)),
    ("Unknown field.", _fixed(_reload)),
    ("Invalid value.", _fixed(_reload)),
    ("Invalid input.", _fixed(_reload)),
    ("Invalid cursor.", _fixed(_reload)),
    ("String does not match expected pattern.", _fixed(_reload)),
    # The services' messages that pages and the sidebar can meet.
    ("This tenant has no active {vendor} connection to pull the candidate from.",
     lambda values, _: gettext("This tenant has no active %(vendor)s connection to pull the candidate from.",
                               vendor=_vendor(values))),
    ("{vendor} has no candidate {id}.",
     lambda values, _: gettext("%(vendor)s has no such candidate.", vendor=_vendor(values))),
    ("This candidate is an erased person, not re-imported.",
     _fixed(lambda: gettext("This person has been erased and cannot be added again."))),
    ("An erased person is not re-imported: {names} named them.",
     _fixed(lambda: gettext("This person has been erased and cannot be added again."))),
    ("Person {id} is anonymised.", _fixed(lambda: gettext("This person has been anonymised."))),
    ("This person is anonymised; their details cannot be filled in again.",
     _fixed(lambda: gettext("This person has been anonymised."))),
    ("This person is on the role's shortlist already.",
     _fixed(lambda: gettext("This person is on the shortlist already."))),
    ("A referrer cannot refer themselves.", _fixed(lambda: gettext("A person cannot refer themselves."))),
    ("Another person already has this e-mail address.",
     _fixed(lambda: gettext("Another person already has this e-mail address."))),
    ("The first name must not be blank.", _fixed(lambda: gettext("Write the first name."))),
    ("The cadence is paused; set it again to resume it.",
     _fixed(lambda: gettext("The keep-in-touch cadence is paused; set it again to resume it."))),
    ("Cannot {action} a follow-up that is {status}.", _fixed(_changed)),
    ("The change conflicts with existing data; reload and try again.", _fixed(_changed)),
    ("{what} is not a month: use YYYY-MM, e.g. 2026-03.",
     _fixed(lambda: gettext("There is no report for that address; choose a month in the report."))),
    ("No {what} with id {id}.", _fixed(_gone)),
    ("No person with id {id} on this role's shortlist.", _fixed(_gone)),
    ("{field} does not name a known record.", _fixed(_gone)),
    ("The person {id} has no cadence yet.", _fixed(lambda: gettext("This person has no keep-in-touch cadence yet."))),
]


def _regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


_RULES = [(_regex(template), sentence) for template, sentence in _TEMPLATES]


def _match(message: str) -> tuple[Sentence, dict[str, str]] | None:
    for pattern, sentence in _RULES:
        found = pattern.fullmatch(message)
        if found:
            return sentence, found.groupdict()
    return None


def _language() -> str:
    return current_locale().language


def _already_translated(message: str) -> bool:
    """Whether `message` is a text of the current catalogue (a service wrote it with `gettext`)."""
    return _language() == "en" or message in _translated_texts(str(current_locale()))


@cache
def _translated_texts(locale: str) -> frozenset[str]:
    catalogue = getattr(domain.get_translations(), "_catalog", {})
    return frozenset(v for value in catalogue.values() for v in ((value,) if isinstance(value, str) else value))


def sentence(message: str, subject: Any = None, fallback: Callable[[], str] | None = None) -> str:
    """One message (a schema's, marshmallow's or a service's) as the page says it. `subject` names the field
    ("The note") where a sentence needs it; `fallback` words an unknown message (default: a plain one)."""
    found = _match(str(message))
    if found is not None:
        write, values = found
        return write(values, str(subject) if subject is not None else None)
    if _already_translated(str(message)):
        return str(message)
    return (fallback or _unknown)()


def _unknown() -> str:
    return gettext("Something in what you sent is not right. Check it and try again.")


def field_messages(messages: Any, subjects: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """marshmallow's messages ({"note": ["Longer than maximum length 5000."]}, nested or flat) as
    {field: [sentences]} in the current language, each field's sentences once."""
    names = {**SUBJECTS, **(subjects or {})}
    out: dict[str, list[str]] = {}
    for field, texts in flatten(messages).items():
        subject = names.get(field.rsplit(".", 1)[-1])
        written = [sentence(text, subject) for text in texts]
        out[field] = list(dict.fromkeys(written))
    return out


def sentences(messages: Any, subjects: Mapping[str, Any] | None = None) -> list[str]:
    """Every sentence of `messages` once, in field order: a rule across fields is said once, not per field."""
    return list(dict.fromkeys(s for texts in field_messages(messages, subjects).values() for s in texts))


def once_each(messages: Any, subjects: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """`field_messages` with each sentence under the first field it concerns only (for a reader that lists
    every field's sentences one after another, as the sidebar does)."""
    seen: set[str] = set()
    out: dict[str, list[str]] = {}
    for field, texts in field_messages(messages, subjects).items():
        fresh = [text for text in texts if text not in seen]
        seen.update(fresh)
        if fresh:
            out[field] = fresh
    return out


# --- error pages --------------------------------------------------------------------------------------------

def _titles() -> dict[int, str]:
    return {400: gettext("The request could not be read"), 401: gettext("Please sign in"),
            403: gettext("Not allowed"), 404: gettext("Page not found"), 405: gettext("Not possible here"),
            409: gettext("Changed in the meantime"), 410: gettext("No longer available"),
            413: gettext("Too large"), 422: gettext("Could not be saved"), 429: gettext("Too many requests"),
            500: gettext("Something went wrong")}


def _explanations() -> dict[int, str]:
    return {400: gettext("Something in the request was not right. Go back and try again."),
            401: gettext("Sign in and try again."),
            403: gettext("You do not have access to this."),
            404: gettext("There is nothing at this address. Check the link, or start from the front page."),
            405: gettext("This address cannot be used like that. Go back and try again."),
            409: _changed(), 410: gettext("This is no longer available."),
            413: gettext("What you sent is too large. Send less at a time."),
            422: _unknown(), 429: gettext("Too many requests in a short time. Wait a minute and try again."),
            500: gettext("Something went wrong on our side. Try again in a little while; if it keeps happening, "
                         "tell your administrator.")}


def status_sentence(status: int) -> str:
    """What a page says for a status when there is nothing more particular to say."""
    explanations = _explanations()
    return explanations.get(status) or explanations[500 if status >= 500 else 400]


def page_error(status: int, message: str | None) -> tuple[str, str]:
    """(title, message) of an error page: `message` as the page says it, or the status's own sentence."""
    titles = _titles()
    title = titles.get(status) or titles[500 if status >= 500 else 400]
    if not message:
        return title, status_sentence(status)
    return title, sentence(message, fallback=lambda: status_sentence(status))
