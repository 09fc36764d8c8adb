"""The pages the browser extension opens the sidebar on: which ATS (or LinkedIn) each is, the shape of the id it
names, and the origins allowed to frame the sidebar there.

The extension recognises the pages by URL (extension/pages.js, each pattern with its source) and sends only the
page's kind and the id it found; this module checks both before either reaches a query, and gives the sidebar the
frame origins of that kind, so a launch from the extension cannot make any other site a frame ancestor.
tests/browser/test_package.py keeps the two tables in step with the manifest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plugin.models import Vendor

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass(frozen=True)
class PageKind:
    name: str
    id_shape: re.Pattern[str]
    frame_origins: tuple[str, ...]
    vendor: Vendor | None  # whose installation holds the id; None: LinkedIn, or a vendor reached through Kombo
    # What the page's id is in our records: the candidate's ATS id, an application's (Lever's pages name the
    # opportunity), the end of the candidate's page URL (Workable's pages show another id than its API), or a
    # LinkedIn profile.
    names: str


KINDS: dict[str, PageKind] = {kind.name: kind for kind in (
    PageKind("greenhouse", re.compile(r"\d{1,20}"), ("https://app.greenhouse.io",), Vendor.GREENHOUSE, "candidate"),
    PageKind("lever", re.compile(_UUID), ("https://hire.lever.co",), Vendor.LEVER, "application"),
    PageKind("teamtailor", re.compile(r"\d{1,20}"), ("https://app.teamtailor.com",), Vendor.TEAMTAILOR, "candidate"),
    PageKind("ashby", re.compile(_UUID), ("https://app.ashbyhq.com",), Vendor.ASHBY, "candidate"),
    PageKind("workable", re.compile(r"\d{1,20}"), ("https://*.workable.com",), None, "page"),
    PageKind("linkedin", re.compile(r"[\w%-]{3,100}"), ("https://www.linkedin.com",), None, "profile"),
)}


class PageError(ValueError):
    """A kind the extension does not know, or an id not of the shape that kind's pages use."""


def checked(kind_name: str, page_id: str) -> PageKind:
    kind = KINDS.get(kind_name)
    if kind is None:
        raise PageError("kind")
    if not kind.id_shape.fullmatch(page_id):
        raise PageError("id")
    return kind


def linkedin_profile_url(slug: str) -> str:
    """The profile's URL as we keep it (people.identity matches every spelling of it to this)."""
    return f"https://www.linkedin.com/in/{slug}"
