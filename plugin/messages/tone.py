"""The honest-tone check for recruiter messages, in Norwegian Bokmål and English.

The founding article asks recruiters to be honest and down to earth and to go easy on intensifiers
(«svært attraktiv», «veldig god lønn»). `check` reads a draft and points at what oversells it, with a
reason and a plainer wording for each finding. It only advises: it never blocks a message. It is a pure
function with no Flask and no database, so the compose page, the API and a batch report all get the same
answer for the same text.

What it flags (`KINDS`):
- intensifier: degree words («svært», «veldig», "very") and «kjempe-»/«super-» words («kjempebra»).
- superlative: «beste», «ledende», "world-class"… Guards in the word list skip everyday uses ("the best
  time to call", «ledende stilling»), and sign-offs ("Best regards", «Med beste hilsen») are exempt.
- exclamations: see `_exclamation_flags`.
- unbacked_claim: pay and perks without a figure («god lønn», "competitive salary"); a claim whose
  sentence holds a number is backed («god lønn, 750 000 kr»). Any digit counts, a phone number too:
  the check is a hint, and a hint that misses now and then is better than one that nags.
- cliche: «drømmejobb», "rockstar", «spennende mulighet»…

The words are data (`wordlists/<language>.json`), so they can be reviewed without reading code, and a
tenant can add its own per kind (`additions`). Matching is case-insensitive and by whole words, where
æ, ø and å are letters (so «bestilling» never holds «best»); the words of a phrase may be separated by
any run of whitespace or a hyphen. Where findings overlap, the longer one wins («unik mulighet» is a
cliché, not also the superlative «unik»), so no character is flagged twice.

The score (0 to 100, 100 = plain and honest): 100 minus, for every flag, the weight of its kind (from the
word list) times a length factor, rounded down and clamped to [0, 100]. The factor is
min(1, max(MIN_LENGTH_FACTOR, sqrt(REFERENCE_WORDS / words))): 1 for a message of up to REFERENCE_WORDS
words, falling gently (as one over the square root) for longer ones, never below MIN_LENGTH_FACTOR, so
one intensifier costs a one-liner more than a long letter, yet every flag costs at least a point.
"""

from __future__ import annotations

import copy
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

__all__ = ["KINDS", "LANGUAGES", "MIN_LENGTH_FACTOR", "REFERENCE_WORDS", "Flag", "ToneReport", "check", "wordlist"]

KINDS: tuple[str, ...] = ("intensifier", "superlative", "exclamations", "unbacked_claim", "cliche")
LANGUAGES: tuple[str, ...] = ("nb", "en")
WORD_KINDS: tuple[str, ...] = ("intensifier", "superlative", "unbacked_claim", "cliche")  # found by word lists
REFERENCE_WORDS = 40  # a message up to this long pays the full weight per flag
MIN_LENGTH_FACTOR = 0.4  # however long the message, a flag costs at least this share of its weight

# Which of two equally long overlapping findings to keep: the more specific one.
_PRIORITY = {"unbacked_claim": 0, "cliche": 1, "superlative": 2, "intensifier": 3, "exclamations": 4}

_WORD = re.compile(r"\w+")
# Between the words of a phrase: whitespace, or a hyphen, dash, slash, comma or apostrophe with optional spaces.
_SEPARATOR = r"(?:\s*[-\u2010\u2011\u2013\u2014,/'\u2019]\s*|\s+)"
_NEXT_WORD = re.compile(r"\s+(\w+)")
_PREVIOUS_WORD = re.compile(r"(\w+)\s+\Z")
_URL_OR_EMAIL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_BANGS = re.compile(r"[!‼]+")
# A sentence ends at a line break, or at . ! ? … (perhaps closed by a quote or bracket) followed by
# whitespace and a character that is neither a lower-case letter nor a digit («ca. 750 000» goes on).
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»”\u2019)\]]*\s+|\n")
_DIGIT = re.compile(r"\d")
_PACKAGE = __name__.rpartition(".")[0]  # plugin.messages, where wordlists/ lives


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding: `text` is `original[start:end]`; `why` and `suggestion` are in the message's language."""

    kind: str
    start: int
    end: int
    text: str
    why: str
    suggestion: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "text": self.text, "why": self.why,
                "suggestion": self.suggestion}


@dataclass(frozen=True, slots=True)
class ToneReport:
    """The score and the findings, sorted by where they start."""

    score: int
    flags: tuple[Flag, ...]
    language: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the API and the compose page's script."""
        return {"score": self.score, "language": self.language, "flags": [flag.to_dict() for flag in self.flags]}


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    unless_next: frozenset[str]
    unless_previous: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Prefixes:
    pattern: re.Pattern[str]
    exceptions: frozenset[str]
    suggestion: str


@dataclass(frozen=True, slots=True)
class _Matcher:
    rules: tuple[_Rule, ...]
    prefixes: _Prefixes | None
    sign_offs: tuple[re.Pattern[str], ...]
    texts: Mapping[str, tuple[str, str]]  # kind → (why, suggestion)
    weights: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: str
    start: int
    end: int
    suggestion: str | None = None  # None: the kind's own


def check(text: str, language: str, additions: Mapping[str, Iterable[str]] | None = None) -> ToneReport:
    """Score `text` and list what oversells it. `language` is "nb" or "en" (callers map "no", "en-GB" and
    the like with `plugin.i18n.language_code`). `additions` maps a kind to a tenant's own words or phrases,
    used on top of the built-in list. Raises ValueError for an unknown language, an unknown kind (or
    "exclamations", which has no words) or an empty word."""
    matcher = _matcher(_language(language), _additions_key(additions))
    if not text or text.isspace():
        return ToneReport(score=100, flags=(), language=language)
    normal, starts, ends = _nfc(text)
    masks = [m.span() for m in _URL_OR_EMAIL.finditer(normal)]
    masks += [m.span() for pattern in matcher.sign_offs for m in pattern.finditer(normal)]
    candidates = [c for c in _word_candidates(normal, matcher) if not _overlaps_any(c.start, c.end, masks)]
    candidates += _exclamation_flags(normal, masks)
    kept = _resolve_overlaps(candidates)
    flags = tuple(_flag(c, text, starts, ends, matcher) for c in kept)
    return ToneReport(score=_score(flags, len(_WORD.findall(text)), matcher.weights), flags=flags,
                      language=language)


def wordlist(language: str) -> dict[str, Any]:
    """The built-in word list of a language, as stored (a copy: the cached one stays untouched). For
    settings pages that show tenants what is already checked."""
    return copy.deepcopy(_load(_language(language)))


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    return language


@cache
def _load(language: str) -> dict[str, Any]:
    """Read and validate a word list once: a broken file should fail loudly on first use, not mis-flag."""
    raw = resources.files(_PACKAGE).joinpath("wordlists", f"{language}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    kinds = data.get("kinds", {})
    for kind in KINDS:
        entry = kinds.get(kind)
        if not isinstance(entry, dict):
            raise ValueError(f"wordlists/{language}.json has no kind {kind!r}")
        for key in ("why", "suggestion"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ValueError(f"wordlists/{language}.json: {kind} has no {key}")
        weight = entry.get("weight")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"wordlists/{language}.json: {kind} needs a weight of zero or more")
        if kind in WORD_KINDS and not isinstance(entry.get("phrases"), list):
            raise ValueError(f"wordlists/{language}.json: {kind} has no phrases")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"wordlists/{language}.json has unknown kinds: {', '.join(sorted(unknown))}")
    return data


def _additions_key(additions: Mapping[str, Iterable[str]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Validated, ordered and hashable, so the compiled matcher of a tenant's additions can be cached."""
    if not additions:
        return ()
    key: list[tuple[str, tuple[str, ...]]] = []
    for kind, phrases in additions.items():
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(WORD_KINDS)}")
        if kind not in WORD_KINDS:
            raise ValueError(f"{kind!r} is found from punctuation and takes no words")
        items = [phrases] if isinstance(phrases, str) else list(phrases)
        cleaned: set[str] = set()
        for phrase in items:
            if not isinstance(phrase, str) or not _WORD.search(phrase):
                raise ValueError(f"an addition to {kind!r} must be a word or phrase, not {phrase!r}")
            cleaned.add(_normal(phrase))
        key.append((kind, tuple(sorted(cleaned))))
    return tuple(sorted(key))


@lru_cache(maxsize=256)
def _matcher(language: str, additions: tuple[tuple[str, tuple[str, ...]], ...]) -> _Matcher:
    data = _load(language)
    extra = dict(additions)
    rules: list[_Rule] = []
    for kind in WORD_KINDS:
        entry = data["kinds"][kind]
        guards = {_normal(name): guard for name, guard in entry.get("guards", {}).items()}
        for phrase in dict.fromkeys([*entry["phrases"], *extra.get(kind, ())]):
            guard = guards.get(_normal(phrase), {})
            rules.append(_Rule(kind, _phrase_pattern(phrase), _words(guard.get("unless_next", ())),
                               _words(guard.get("unless_previous", ()))))
    prefixes = None
    if spec := data["kinds"]["intensifier"].get("prefixes"):
        alternatives = "|".join(re.escape(p) for p in sorted(spec["prefixes"], key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})-?([^\W\d_]{{{int(spec['min_rest'])},}})(?!\w)",
                             re.IGNORECASE)
        prefixes = _Prefixes(pattern, _words(spec.get("exceptions", ())), spec["suggestion"])
    sign_offs = [_phrase_pattern(phrase) for phrase in data.get("sign_offs", ())]
    sign_offs += [re.compile(rf"^[ \t]*{re.escape(word)}[ \t]*(?:,[ \t]*(?:\w+[ \t]*){{0,3}})?$",
                             re.IGNORECASE | re.MULTILINE) for word in data.get("sign_off_lines", ())]
    texts = {kind: (data["kinds"][kind]["why"], data["kinds"][kind]["suggestion"]) for kind in KINDS}
    weights = {kind: float(data["kinds"][kind]["weight"]) for kind in KINDS}
    return _Matcher(tuple(rules), prefixes, tuple(sign_offs), texts, weights)


def _normal(phrase: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFC", phrase).casefold()))


def _words(words: Iterable[str]) -> frozenset[str]:
    return frozenset(unicodedata.normalize("NFC", word).casefold().replace("-", "") for word in words)


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Whole words only: no word character may touch either end, and æøå are word characters."""
    tokens = _WORD.findall(unicodedata.normalize("NFC", phrase))
    if not tokens:
        raise ValueError(f"not a word or phrase: {phrase!r}")
    return re.compile(r"(?<!\w)" + _SEPARATOR.join(map(re.escape, tokens)) + r"(?!\w)", re.IGNORECASE)


def _nfc(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """The text composed (NFC), so «å» typed as «a» plus a combining ring still matches, with the original
    start and end offset of every composed character (None when the text was composed already)."""
    if unicodedata.is_normalized("NFC", text):
        return text, None, None
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        part = unicodedata.normalize("NFC", text[i:j])
        parts.append(part)
        starts += [i] * len(part)
        ends += [j] * len(part)
        i = j
    return "".join(parts), starts, ends


def _word_candidates(text: str, matcher: _Matcher) -> list[_Candidate]:
    found: list[_Candidate] = []
    for rule in matcher.rules:
        for m in rule.pattern.finditer(text):
            if _guarded(text, m.start(), m.end(), rule):
                continue
            if rule.kind == "unbacked_claim" and _DIGIT.search(text, *_sentence(text, m.start(), m.end())):
                continue
            found.append(_Candidate(rule.kind, m.start(), m.end()))
    if matcher.prefixes is not None:
        for m in matcher.prefixes.pattern.finditer(text):
            if m.group().casefold().replace("-", "") not in matcher.prefixes.exceptions:
                found.append(_Candidate("intensifier", m.start(), m.end(),
                                        matcher.prefixes.suggestion.format(rest=m.group(1))))
    return found


def _guarded(text: str, start: int, end: int, rule: _Rule) -> bool:
    """Whether the word right after or right before makes this an everyday use ("the best time to call")."""
    after = _NEXT_WORD.match(text, end) if rule.unless_next else None
    if after is not None and after.group(1).casefold() in rule.unless_next:
        return True
    before = _PREVIOUS_WORD.search(text[max(0, start - 64):start]) if rule.unless_previous else None
    return before is not None and before.group(1).casefold() in rule.unless_previous


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence around text[start:end], for «is there a figure in the same sentence?»."""
    begin, finish = 0, len(text)
    for m in _SENTENCE_END.finditer(text):
        following = text[m.end():m.end() + 1]
        if "\n" not in m.group() and following and (following.islower() or following.isdigit()):
            continue  # «ca. 750 000», "approx. 60k": the sentence goes on
        if m.end() <= start:
            begin = m.end()
        elif m.start() >= end:
            finish = m.start()
            break
    return begin, finish


def _exclamation_flags(text: str, masks: list[tuple[int, int]]) -> list[_Candidate]:
    """Exclamation marks in series. A run of two or more («!!», «!!!») is always one flag. Single marks:
    the first exclamation of the message is free (a greeting, «Hei Kari!», or one glad sentence), every
    later one is flagged on its own, so «Hei! Spennende nytt! Ring meg!» gets two flags and a message
    reads as one "!" at most."""
    runs = [m for m in _BANGS.finditer(text) if not _overlaps_any(m.start(), m.end(), masks)]
    return [_Candidate("exclamations", m.start(), m.end()) for i, m in enumerate(runs)
            if i > 0 or len(m.group()) > 1 or "‼" in m.group()]


def _overlaps_any(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def _resolve_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Longest first (then the more specific kind, then the earlier): a finding is kept when none of its
    characters is already flagged."""
    kept: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.start - c.end, _PRIORITY[c.kind], c.start)):
        if not _overlaps_any(candidate.start, candidate.end, ((k.start, k.end) for k in kept)):
            kept.append(candidate)
    return sorted(kept, key=lambda c: (c.start, c.end))


def _flag(candidate: _Candidate, text: str, starts: list[int] | None, ends: list[int] | None,
          matcher: _Matcher) -> Flag:
    start, end = candidate.start, candidate.end
    if starts is not None and ends is not None:
        start, end = starts[start], ends[end - 1]
    why, suggestion = matcher.texts[candidate.kind]
    return Flag(candidate.kind, start, end, text[start:end], why, candidate.suggestion or suggestion)


def _score(flags: tuple[Flag, ...], words: int, weights: Mapping[str, float]) -> int:
    if not flags:
        return 100
    factor = min(1.0, max(MIN_LENGTH_FACTOR, math.sqrt(REFERENCE_WORDS / max(words, 1))))
    deduction = sum(weights[flag.kind] for flag in flags) * factor
    return max(0, min(100, math.floor(100 - deduction + 1e-9)))
