"""Suggest passive candidates for a role, and say why: which of the role's words matched where.

Words come from the role's title and keywords (matched against a person's title, skills — tags and
interests — and employer) and from its location (matched against the person's location). Words are
lower-cased; a word of four or more letters matches inside a longer word ("utvikler" in
"systemutvikler", "data" in "dataingeniør"), a shorter one ("ai", "sql") only as a whole word.

Score: for each field, its weight times the number of distinct role words matched there —
title 3, skills 2, employer 2, location 1. Location alone does not make a suggestion (everyone in Oslo
is not a shortlist). Ties go by name. Only passive people who may be contacted, and who are not on
the role's shortlist already, are suggested.

One query: SQL keeps the people with any substring match, pre-ranks them by the same weights and
returns a bounded number of them; the exact word rules are then applied to those.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func, or_, select
from sqlalchemy.orm import Session, lazyload

from plugin.core.lookup import get_owned
from plugin.models import Person, PipelineStatus, Role, ShortlistEntry

WEIGHTS = {"title": 3, "skills": 2, "employer": 2, "location": 1}
INSIDE_WORDS_FROM = 4  # letters a role word needs to match inside a longer word
PREFETCH = 10  # people pre-ranked in SQL per suggestion asked for
_WORD = re.compile(r"\w+")
STOPWORDS = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with",  # English
    "av", "en", "et", "fra", "i", "med", "og", "på", "som", "til",  # Norwegian
    "senior", "junior", "lead", "head",  # seniority says nothing about the field
})


@dataclass(frozen=True)
class Suggestion:
    person: Person
    score: int
    matched: dict[str, list[str]]  # field → role words that matched in it, in the role's order


def words(texts: Iterable[str | None]) -> list[str]:
    """Distinct lower-case words of `texts`, in order, without stop words and single letters."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall((text or "").casefold()):
            if len(word) > 1 and word not in STOPWORDS and not word.isdigit():
                seen.setdefault(word)
    return list(seen)


def _field_words(person: Person) -> dict[str, list[str]]:
    return {"title": words([person.title]), "skills": words([*person.tags, *person.interests]),
            "employer": words([person.employer]), "location": words([person.location])}


def _hits(term: str, field_words: list[str]) -> bool:
    if len(term) >= INSIDE_WORDS_FROM:
        return any(term in word for word in field_words)
    return term in field_words


def explain(person: Person, terms: list[str], places: list[str]) -> tuple[int, dict[str, list[str]]]:
    """(score, {field: matched role words}) of one person; a score of 0 means no suggestion."""
    fields = _field_words(person)
    matched = {name: [t for t in (places if name == "location" else terms) if _hits(t, fields[name])]
               for name in WEIGHTS}
    matched = {name: found for name, found in matched.items() if found}
    if not set(matched) - {"location"}:
        return 0, {}
    return sum(WEIGHTS[name] * len(found) for name, found in matched.items()), matched


def _like(word: str) -> list[str]:
    """LIKE patterns for a word: as typed, and as JSON escapes it (lists are stored as JSON text)."""
    variants = {word, json.dumps(word)[1:-1]}
    return ["%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for v in variants]


def _contains(column: Any, word: str) -> ColumnElement[bool]:
    return or_(*(column.like(pattern, escape="\\") for pattern in _like(word)))


def _columns() -> dict[str, list[Any]]:
    return {"title": [func.lower(Person.title)],
            "skills": [func.lower(cast(Person.tags, String)), func.lower(cast(Person.interests, String))],
            "employer": [Person.employer_key],
            "location": [func.lower(Person.location)]}


def suggest(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID, limit: int = 20) -> list[Suggestion]:
    """The best-matching passive people for the role, best first, each with the words that matched."""
    role = get_owned(session, Role, tenant_id, role_id, "role")
    terms, places = words([role.title, *role.keywords]), words([role.location])
    if not terms:
        return []
    columns = _columns()
    hits = {name: [(term, or_(*(_contains(c, term) for c in columns[name])))
                   for term in (places if name == "location" else terms)] for name in WEIGHTS}
    rough_score = sum(case((hit, WEIGHTS[name]), else_=0) for name in WEIGHTS for _, hit in hits[name])
    listed = select(ShortlistEntry.person_id).where(ShortlistEntry.tenant_id == tenant_id,
                                                    ShortlistEntry.role_id == role.id)
    query = (select(Person).options(lazyload(Person.emails), lazyload(Person.ats_links))
             .where(Person.tenant_id == tenant_id, Person.status == PipelineStatus.PASSIVE,
                    Person.do_not_contact.is_(False), Person.id.not_in(listed),
                    or_(*(hit for name in ("title", "skills", "employer") for _, hit in hits[name])))
             .order_by(rough_score.desc(), Person.name_key, Person.id)
             .limit(limit * PREFETCH))
    suggestions = []
    for person in session.scalars(query):
        score, matched = explain(person, terms, places)
        if score:
            suggestions.append(Suggestion(person, score, matched))
    suggestions.sort(key=lambda s: (-s.score, s.person.name_key, s.person.id))
    return suggestions[:limit]
