"""A recruiter's daily digest: the notices no digest has carried yet, in sections, in their language (dates
written as in their region) and time zone. One e-mail for everything, never one per person.

Only notices whose subject is still in the state that made them news are listed (the follow-up still
open at that due time, the cadence still past due since that touch, …); the others are "stale" and are
settled with the digest, so they neither show up late nor pile up. Follow-ups due after the end of the
recruiter's local day wait for a later digest.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_skeleton
from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from plugin.followups import notices, reasons
from plugin.formats import cadence, current_locale, date_long, time_short
from plugin.i18n import force_locale, gettext, ngettext, pick_language
from plugin.models import Cadence, FollowUp, FollowUpStatus, Notice, Person, Recruiter, Reference, Referral
from plugin.tenancy.recruiters import MailLinks

SECTIONS = ("overdue", "today", "losing_touch", "waking_up", "referral_status")
# The queue page's section each digest section opens (referral news has no queue section: the queue's top).
QUEUE_SECTIONS = {"overdue": "overdue", "today": "today", "losing_touch": "losing_touch", "waking_up": "waking_up"}
SHOWN_PER_SECTION = 50  # a digest is read in a minute; the queue in the app has the rest
DEFAULT_ZONE = "Europe/Oslo"


@dataclass(frozen=True)
class Item:
    """One line of the digest: who, why, and when (UTC; shown in the recruiter's zone)."""

    person: str
    moment: datetime
    reason: str = ""
    referrer: str = ""
    status: str = ""
    max_days: int = 0
    person_id: uuid.UUID | None = None  # the digest links each line to the person's sidebar
    reason_key: str | None = None  # a rule's reason, written in the recruiter's language (followups/reasons.py)
    reason_params: dict[str, Any] | None = None


@dataclass
class Contents:
    sections: dict[str, list[Item]] = field(default_factory=lambda: {name: [] for name in SECTIONS})
    carried: list[uuid.UUID] = field(default_factory=list)  # listed: digested once the e-mail is sent
    stale: list[uuid.UUID] = field(default_factory=list)  # subject moved on: settled with the digest

    @property
    def empty(self) -> bool:
        return not self.carried


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str
    contents: Contents


@dataclass(frozen=True)
class Day:
    """The recruiter's local day as UTC instants."""

    zone: ZoneInfo
    local_date: date
    start: datetime
    end: datetime


def zone_of(recruiter: Recruiter) -> ZoneInfo:
    return zone_named(recruiter.time_zone)


def zone_named(name: str | None) -> ZoneInfo:
    """A recruiter's time zone; an unknown name reads as the default."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_day(recruiter: Recruiter, now: datetime) -> Day:
    zone = zone_of(recruiter)
    today = now.astimezone(zone).date()

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC)

    return Day(zone, today, midnight(today), midnight(today + timedelta(days=1)))


# Gathering: one query per kind of subject, whatever the number of notices.

def _by_id(rows: Iterable[Any], attribute: str = "id") -> dict[uuid.UUID, Any]:
    return {getattr(row, attribute): row for row in rows}


@dataclass
class _Subjects:
    followups: dict[uuid.UUID, FollowUp]
    cadences: dict[uuid.UUID, Cadence]  # by person id
    referrals: dict[uuid.UUID, Referral]
    references: dict[uuid.UUID, Reference]
    people: dict[uuid.UUID, Person]
    recruiters: dict[uuid.UUID, Recruiter]


def _load(session: Session, tenant_id: uuid.UUID, found: list[Notice]) -> _Subjects:
    def ids(*kinds: str) -> set[uuid.UUID]:
        return {n.subject_id for n in found if n.kind in kinds}

    def rows(model: Any, column: Any, wanted: set[uuid.UUID]) -> list[Any]:
        if not wanted:
            return []
        return list(session.scalars(select(model).where(model.tenant_id == tenant_id, column.in_(wanted))))

    followups = _by_id(rows(FollowUp, FollowUp.id, ids("due", "waking_up")))
    cadences = _by_id(rows(Cadence, Cadence.person_id, ids("losing_touch")), "person_id")
    referrals = _by_id(rows(Referral, Referral.id, ids("referral_status")))
    references = _by_id(rows(Reference, Reference.id, {r.reference_id for r in referrals.values()}))
    person_ids = ({f.person_id for f in followups.values()} | set(cadences) | {r.person_id for r in referrals.values()}
                  | {r.person_id for r in references.values() if r.person_id})
    people = _by_id(session.scalars(select(Person).options(lazyload(Person.emails), lazyload(Person.ats_links))
                                    .where(Person.tenant_id == tenant_id, Person.id.in_(person_ids)))) \
        if person_ids else {}
    recruiters = _by_id(rows(Recruiter, Recruiter.id, {r.recruiter_id for r in references.values() if r.recruiter_id}))
    return _Subjects(followups, cadences, referrals, references, people, recruiters)


def _name(people: dict[uuid.UUID, Person], person_id: uuid.UUID | None) -> str:
    person = people.get(person_id) if person_id else None
    return person.full_name if person else ""


def _referrer_name(subjects: _Subjects, reference: Reference | None) -> str:
    if reference is None:
        return ""
    if reference.person_id:
        return _name(subjects.people, reference.person_id)
    recruiter = subjects.recruiters.get(reference.recruiter_id) if reference.recruiter_id else None
    return recruiter.name if recruiter else reference.name or ""


def _followup_item(person: str, moment: datetime, followup: FollowUp) -> Item:
    return Item(person, moment, followup.reason, person_id=followup.person_id, reason_key=followup.reason_key,
                reason_params=followup.reason_params)


def _place(notice: Notice, recruiter: Recruiter, day: Day, now: datetime,
           subjects: _Subjects) -> tuple[str, Item] | str | None:
    """(section, item) when the notice is still news today; "later" when it is news for a later day;
    None when its subject has moved on."""
    me = recruiter.id
    if notice.kind in ("due", "waking_up"):
        followup = subjects.followups.get(notice.subject_id)
        if followup is None or followup.owner_id != me:
            return None
        person = _name(subjects.people, followup.person_id)
        if notice.kind == "waking_up":
            if followup.status != FollowUpStatus.SNOOZED or followup.snoozed_until is None \
                    or followup.snoozed_until <= now \
                    or notices.wake_key(followup.id, me, followup.snoozed_until) != notice.key:
                return None
            return "waking_up", _followup_item(person, followup.snoozed_until, followup)
        if followup.status != FollowUpStatus.OPEN or notices.due_key(followup.id, me, followup.due_at) != notice.key:
            return None
        if followup.due_at >= day.end:
            return "later"
        section = "overdue" if followup.due_at < day.start else "today"
        return section, _followup_item(person, followup.due_at, followup)
    if notice.kind == "losing_touch":
        cadence = subjects.cadences.get(notice.subject_id)
        person = subjects.people.get(notice.subject_id)
        if cadence is None or person is None or cadence.status != "active" or cadence.last_touch_at is None \
                or person.owner_id != me or notices.losing_key(cadence.id, me, cadence.last_touch_at) != notice.key:
            return None
        breach = cadence.last_touch_at + timedelta(days=cadence.max_days)
        if breach > now:
            return None
        return "losing_touch", Item(person.full_name, cadence.last_touch_at, max_days=cadence.max_days,
                                    person_id=person.id)
    if notice.kind == "referral_status":
        referral = subjects.referrals.get(notice.subject_id)
        if referral is None or notices.referral_key(referral.id, me, referral.status_changed_at) != notice.key:
            return None
        referrer = _referrer_name(subjects, subjects.references.get(referral.reference_id))
        return "referral_status", Item(_name(subjects.people, referral.person_id), referral.status_changed_at,
                                       referrer=referrer, status=str(referral.status), person_id=referral.person_id)
    return None


def gather(session: Session, recruiter: Recruiter, now: datetime) -> Contents:
    """What the recruiter's digest at `now` carries, from the notices no digest has carried yet."""
    found = notices.undigested(session, recruiter, now)
    subjects = _load(session, recruiter.tenant_id, found)
    day = local_day(recruiter, now)
    contents = Contents()
    for notice in found:
        placed = _place(notice, recruiter, day, now, subjects)
        if placed == "later":
            continue
        if placed is None:
            contents.stale.append(notice.id)
            continue
        assert isinstance(placed, tuple)
        section, item = placed
        contents.sections[section].append(item)
        contents.carried.append(notice.id)
    for items in contents.sections.values():
        items.sort(key=lambda item: (item.moment, item.person))
    return contents


# Rendering: in the recruiter's language, times in their zone.

def _titles() -> dict[str, str]:
    return {"overdue": gettext("Overdue"), "today": gettext("Due today"), "losing_touch": gettext("Losing touch"),
            "waking_up": gettext("Waking up"), "referral_status": gettext("Referral status changes")}


def _status_label(status: str) -> str:
    labels = {"received": gettext("received"), "contacted": gettext("contacted"),
              "in_process": gettext("in process"), "hired": gettext("hired"), "not_hired": gettext("not hired"),
              "parked": gettext("parked")}
    return labels.get(status, status)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    """The weekday, day and time, in the recruiter's locale: «fre. 4. des. 09:00», "Fri, Dec 4 9:00 AM"."""
    return f"{format_skeleton('MMMEd', moment, tzinfo=zone, locale=current_locale())} {time_short(moment, zone)}"


def _line(section: str, item: Item, zone: ZoneInfo, app_url: str) -> dict[str, str]:
    """What one item says: the person (linked to their sidebar), the reason, and the time that matters for it."""
    if section == "losing_touch":
        reason = gettext("No touch since %(date)s; keep in touch %(cadence)s", date=date_long(item.moment, zone),
                         cadence=cadence(item.max_days))
        when = _when(item.moment + timedelta(days=item.max_days), zone)
    elif section == "referral_status":
        reason = gettext("Referred by %(referrer)s: now %(status)s", referrer=item.referrer or "?",
                         status=_status_label(item.status))
        when = _when(item.moment, zone)
    elif section == "waking_up":
        reason = gettext("Snooze ends: %(reason)s", reason=reasons.text(item))
        when = _when(item.moment, zone)
    else:
        reason, when = reasons.text(item), _when(item.moment, zone)
    link = f"{app_url}/queue/people/{item.person_id}/sidebar" if item.person_id else ""
    return {"person": item.person, "reason": reason, "when": when, "link": link}


def render(templates: Environment, contents: Contents, recruiter: Recruiter, now: datetime, app_url: str,
           links: MailLinks) -> Digest:
    """The e-mail's subject, plain text and HTML, rendered with the app's templates; `app_url` (the deployment's
    BASE_URL with its mount point) roots the links: each person to their sidebar, each section to the queue;
    `links` are the recruiter's settings and this digest's unsubscribe link."""
    language = pick_language(recruiter.language)
    day = local_day(recruiter, now)
    with force_locale(language, recruiter.region):
        titles = _titles()
        sections = [{"name": name, "title": titles[name], "count": len(contents.sections[name]),
                     "link": f"{app_url}/queue#{QUEUE_SECTIONS.get(name, 'overdue')}",
                     "items": [_line(name, item, day.zone, app_url)
                               for item in contents.sections[name][:SHOWN_PER_SECTION]],
                     "more": max(0, len(contents.sections[name]) - SHOWN_PER_SECTION)}
                    for name in SECTIONS if contents.sections[name]]
        heading = format_date(day.local_date, "full", locale=current_locale())
        context = {"_": gettext, "recruiter": recruiter, "sections": sections, "heading": heading,
                   "queue_url": f"{app_url}/queue", "home_url": f"{app_url}/", "settings_url": links.settings,
                   "unsubscribe_url": links.unsubscribe,
                   "language": language, "zone": str(day.zone), "count": len(contents.carried)}
        subject = ngettext("Brobygger: %(num)d thing to follow up, %(date)s",
                           "Brobygger: %(num)d things to follow up, %(date)s", len(contents.carried), date=heading)
        text = templates.get_template("brobygger/email/digest.txt").render(context)
        html = templates.get_template("brobygger/email/digest.html").render(context)
    return Digest(subject, text, html, contents)
