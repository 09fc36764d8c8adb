"""Norwegian Bokmål and English, through Flask-Babel in a domain of our own ("brobygger"), so a host
application's own translations and ours never mix.

The language is the recruiter's setting, then the tenant's default, then the browser's; views put
the first two on `g.brobygger_locale`. Jobs (e-mails) pick the language explicitly with `force_locale`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, Domain, force_locale

LANGUAGES = ("nb", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

domain = Domain(translation_directories=str(TRANSLATIONS), domain="brobygger")
gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext

__all__ = ["LANGUAGES", "force_locale", "gettext", "init_app", "lazy_gettext", "ngettext", "template_globals"]


def select_locale() -> str:
    chosen = g.get("brobygger_locale")
    if chosen in LANGUAGES:
        return chosen
    if has_request_context():
        return request.accept_languages.best_match(LANGUAGES) or "en"
    return "en"


def init_app(app: Flask) -> None:
    """Give the app Babel unless the host already has it (then the host's selector decides the locale
    for its own pages, and ours reads `g.brobygger_locale` through `force_locale` where it matters)."""
    if "babel" not in app.extensions:
        Babel(app, locale_selector=select_locale, timezone_selector=lambda: "UTC")


def template_globals() -> dict[str, Any]:
    """`_`, `gettext` and `ngettext` of our domain for our templates (a blueprint context processor)."""
    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}
