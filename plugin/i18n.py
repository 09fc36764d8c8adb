"""Norwegian Bokmål and English, through Flask-Babel in a domain of our own ("brobygger"), so a host
application's own translations and ours never mix.

Which language to write to someone in is decided in one place, `pick_language`: views put the choice on
`g.brobygger_locale`; jobs (e-mails) and services pick it explicitly and use `force_locale`. How numbers and
dates read also depends on where the reader is: `locale_code` joins the language and the recruiter's region
(ISO 3166 alpha-2; none means the language's home: nb → NO, en → GB) into the Babel locale (`nb_NO`,
`en_US`) that Flask-Babel selects, so `plugin.formats` writes «4. des. 2026» or "Dec 4, 2026".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from babel import localedata
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, Domain
from flask_babel import force_locale as _force_locale

LANGUAGES = ("nb", "en")
HOME_REGIONS = {"nb": "NO", "en": "GB"}  # where a language is written when the reader's region is not known
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

domain = Domain(translation_directories=str(TRANSLATIONS), domain="brobygger")
gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext

__all__ = ["LANGUAGES", "force_locale", "gettext", "init_app", "language_code", "lazy_gettext", "locale_code",
           "ngettext", "pick_language", "template_globals"]

# Languages as people write them on a profile or in a form, to the one of ours that serves them.
_NAMES = {"nb": "nb", "nob": "nb", "no": "nb", "nor": "nb", "nn": "nb", "nno": "nb", "norwegian": "nb", "norsk": "nb",
          "bokmål": "nb", "bokmal": "nb", "nynorsk": "nb", "en": "en", "eng": "en", "english": "en", "engelsk": "en"}


def language_code(name: object) -> str | None:
    """One of LANGUAGES for a language as written ("nb", "no", "Norsk", "Bokmål", "en-GB", "English"),
    or None for a language we do not write."""
    text = str(name or "").strip().casefold()
    return _NAMES.get(text) or _NAMES.get(text.replace("_", "-").split("-")[0])


def pick_language(*choices: object, spoken: Iterable[object] = (), default: object = None) -> str:
    """The language to write to someone in: the first of `choices` that we write (their own setting, say);
    else, when they speak languages we write, `default` (the tenant's) if it is one of them, or the first
    of them; else `default`; else English."""
    for choice in choices:
        if (code := language_code(choice)) is not None:
            return code
    fallback = language_code(default) or "en"
    known = [code for code in map(language_code, spoken or ()) if code is not None]
    if known and fallback not in known:
        return known[0]
    return fallback


def locale_code(language: object, region: object = None) -> str:
    """The Babel locale for a language we write (as `language_code` reads it; else English) and a region:
    ("nb", None) → nb_NO, ("en", "US") → en_US, ("en", None) → en_GB, ("en-US", None) → en_US. A region
    Babel has no data for in that language (nb in the US) reads as the language's home region."""
    lang = language_code(language) or "en"
    written = str(language or "").replace("_", "-").split("-")
    wanted = str(region or (written[1] if len(written) == 2 else "")).strip().upper()
    if len(wanted) == 2 and wanted.isalpha() and f"{lang}_{wanted}" in _known_locales():
        return f"{lang}_{wanted}"
    return f"{lang}_{HOME_REGIONS[lang]}"


@cache
def _known_locales() -> frozenset[str]:
    return frozenset(localedata.locale_identifiers())


@contextmanager
def force_locale(language: object, region: object = None) -> Iterator[None]:
    """Texts in `language` and numbers and dates as read in `region` (see `locale_code`), for a block."""
    with _force_locale(locale_code(language, region)):
        yield


def select_locale() -> str:
    """The page's language: the signed-in recruiter's (on `g`), else the browser's."""
    chosen = g.get("brobygger_locale")
    if language_code(chosen) is not None:  # the browser's would not be used: spare parsing its header
        return pick_language(chosen)
    browser = request.accept_languages.best_match(LANGUAGES) if has_request_context() else None
    return pick_language(chosen, browser)


def select_babel_locale() -> str:
    """The page's Babel locale: its language in the signed-in recruiter's region (on `g`)."""
    return locale_code(select_locale(), g.get("brobygger_region"))


def init_app(app: Flask) -> None:
    """Give the app Babel unless the host already has it (then the host's selector decides the locale
    for its own pages, and ours reads `g.brobygger_locale` through `force_locale` where it matters)."""
    if "babel" not in app.extensions:
        Babel(app, locale_selector=select_babel_locale, timezone_selector=lambda: "UTC")


def template_globals() -> dict[str, Any]:
    """`_`, `gettext` and `ngettext` of our domain for our templates (a blueprint context processor, so it runs
    as a template starts rendering, inside any `force_locale`). They are bound to the catalogue of the locale
    in force then: `domain.gettext` looks the locale and the catalogue up again on every call, which on a
    page of a few hundred texts is a tenth of its rendering. They behave as `domain.gettext` and `ngettext`."""
    catalogue = domain.get_translations()

    def bound_gettext(message: str, **variables: Any) -> str:
        text = catalogue.ugettext(message)
        return text % variables if variables else text

    def bound_ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return catalogue.ungettext(singular, plural, num) % variables

    return {"_": bound_gettext, "gettext": bound_gettext, "ngettext": bound_ngettext}
