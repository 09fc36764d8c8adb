"""How a person's identifiers are compared: one spelling per identifier, so imports, syncs and the
fingerprints of erased people all match the same person."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

LINKEDIN_HOST = "linkedin.com"


def normalise_linkedin_url(url: str) -> str:
    """One spelling per profile: lower-case scheme and host, no query or fragment, no trailing slash. Text
    urlsplit cannot read (an unclosed '[' in the host) stays as typed, so matching never fails on it."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
    except ValueError:
        return text
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def linkedin_key(url: str) -> str:
    """What two LinkedIn URLs of one profile have in common, and the only thing we match profiles on:
    `linkedin.com/in/<name>`, whatever the scheme, host spelling (www., a country or mobile host), case,
    percent-encoding, query (`?trk=…`), fragment or trailing slash. Other hosts keep their host.

    LinkedIn documents the profile's part of the URL as case-insensitive ("JohnSmith, johnsmith or johnSmith
    will all point to the same profile": LinkedIn Help, "Manage your public profile URL",
    https://www.linkedin.com/help/linkedin/answer/87), so the whole key is case-folded."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or parts.netloc).casefold()
    except ValueError:
        return text.casefold()
    if host == LINKEDIN_HOST or host.endswith("." + LINKEDIN_HOST):
        host = LINKEDIN_HOST
    return host + unquote(parts.path).rstrip("/").casefold()
