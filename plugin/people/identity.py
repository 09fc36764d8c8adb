"""How a person's identifiers are compared: one spelling per identifier, so imports, syncs and the
fingerprints of erased people all match the same person."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def normalise_linkedin_url(url: str) -> str:
    """One spelling per profile: lower-case scheme and host, no query or fragment, no trailing slash. Text
    urlsplit cannot read (an unclosed '[' in the host) stays as typed, so matching never fails on it."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
    except ValueError:
        return text
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))
