"""The Norwegian Bokmål catalogue: complete, faithful to its placeholders, compiled, and what a Norwegian
recruiter actually reads (while an English-speaking colleague on the same tenant keeps English)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from plugin.models import utcnow
from tests import past
from tests.helpers import ROOT
from tests.pages import make_recruiter, sign_in

CATALOGUES = ROOT / "plugin" / "translations"
PO = CATALOGUES / "nb" / "LC_MESSAGES" / "brobygger.po"
MO = CATALOGUES / "nb" / "LC_MESSAGES" / "brobygger.mo"
# %(name)s-style (gettext) and {name}-style (str.format, e.g. the calendar's summary) placeholders.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|\{\w*\}")


def _catalogue() -> Any:
    with PO.open("rb") as f:
        return read_po(f, locale="nb", domain="brobygger")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _messages() -> list[Any]:
    return [m for m in _catalogue() if m.id]


def test_the_catalogue_is_norwegian_with_two_plural_forms() -> None:
    catalogue = _catalogue()
    assert str(catalogue.locale) == "nb"
    assert catalogue.plural_forms == "nplurals=2; plural=(n != 1);"
    assert len(_messages()) > 300


def test_every_message_has_a_norwegian_translation_with_the_same_placeholders() -> None:
    problems = []
    for message in _messages():
        if "fuzzy" in message.flags:
            problems.append(("fuzzy", message.id))
        if message.pluralizable:
            sources, translations = list(message.id), list(message.string)
            if len(translations) != 2:
                problems.append(("not two plural forms", message.id))
                continue
        else:
            sources, translations = [message.id], [message.string]
        for source, translation in zip(sources, translations, strict=True):
            if not translation or not translation.strip():
                problems.append(("empty", source))
            elif _placeholders(translation) != _placeholders(source):
                problems.append(("placeholders", source, translation))
    assert problems == []


def test_product_names_are_kept() -> None:
    for message in _messages():
        for name in ("Brobygger", "Teamtailor", "LinkedIn", "Greenhouse", "Lever"):
            sources = message.id if message.pluralizable else [message.id]
            translations = message.string if message.pluralizable else [message.string]
            for source, translation in zip(sources, translations, strict=True):
                if name in source:
                    assert name in translation, (source, translation)


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    """`make translations` (or `pybabel compile`) was run after the last edit of the .po file."""
    with MO.open("rb") as f:
        compiled = read_mo(f)
    for message in _messages():
        found = compiled.get(message.id)
        assert found is not None, message.id
        if message.pluralizable:
            assert list(found.string) == list(message.string), message.id
        else:
            assert found.string == message.string, message.id


def _extract_keywords() -> dict[str, Any]:
    """The `-k` keywords of the Makefile's extract command, in Babel's form (default keywords included)."""
    from babel.messages.extract import DEFAULT_KEYWORDS
    from babel.messages.frontend import parse_keywords

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(x for x in makefile.splitlines() if "pybabel extract" in x)
    return {**DEFAULT_KEYWORDS, **parse_keywords(re.findall(r"-k (\S+)", line))}


def _method_map() -> list[tuple[str, str]]:
    sections = re.findall(r"^\[(\w+): ([^\]]+)\]", (ROOT / "babel.cfg").read_text(encoding="utf-8"), re.M)
    return [(pattern, method) for method, pattern in sections]


def test_the_catalogue_holds_exactly_what_the_code_marks() -> None:
    """What the code and templates mark for translation today is exactly the catalogue: nothing new left out,
    nothing stale kept (run `make translations` after changing texts)."""
    extracted = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=_method_map(), keywords=_extract_keywords()):
        extracted.add(message[0] if isinstance(message, tuple) else message)
    assert extracted
    catalogue = {m.id[0] if m.pluralizable else m.id for m in _messages()}
    assert sorted(extracted - catalogue) == []
    assert sorted(catalogue - extracted) == []


def _queue_page(app: Flask, tenant: Any, email: str, language: str) -> str:
    recruiter = make_recruiter(tenant, email=email, name=email.split("@")[0], language=language,
                               time_zone="Europe/Oslo")
    person = tenant.create("/people", {"first_name": "Ola", "last_name": email.split("@")[0],
                                       "owner_id": recruiter["id"]})
    past.followup(tenant, {"person_id": person["id"], "owner_id": recruiter["id"], "reason": "Reason for Ola",
                           "due_at": (utcnow() - timedelta(days=2)).isoformat()})
    client = app.test_client()
    sign_in(app, client, recruiter["id"])
    response = client.get("/queue", query_string={"owner": recruiter["id"]})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_queue_is_norwegian_for_a_norwegian_recruiter_and_english_for_an_english_one(
        app: Flask, tenant: Any) -> None:
    norsk = _queue_page(app, tenant, "nora@acme.no", "nb")
    english = _queue_page(app, tenant, "emma@acme.no", "en")

    assert '<html lang="nb">' in norsk
    for label in ("<h1>Oppfølgingskø</h1>", ">Forfalt</h2>", ">I dag</h2>", ">Denne uken</h2>",
                  ">Lenge siden sist</h2>", ">Kommer tilbake snart</h2>", ">Utsett</span>", ">Logg ut</button>",
                  "Ingenting forfaller i dag."):
        assert label in norsk, label
    assert "Follow-up queue" not in norsk and ">Overdue</h2>" not in norsk and ">Snooze</span>" not in norsk

    assert '<html lang="en">' in english
    for label in ("<h1>Follow-up queue</h1>", ">Overdue</h2>", ">Today</h2>", ">This week</h2>",
                  ">Losing touch</h2>", ">Waking up</h2>", ">Snooze</span>", ">Sign out</button>",
                  "Nothing due today."):
        assert label in english, label
    assert "Oppfølgingskø" not in english and "Forfalt" not in english and "Utsett" not in english


def test_the_catalogue_files_sit_where_the_domain_reads_them() -> None:
    from plugin.i18n import TRANSLATIONS

    assert Path(TRANSLATIONS) == CATALOGUES and MO.is_file() and PO.is_file()
