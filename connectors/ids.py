"""Ids that go into a vendor's URL path, checked against the shape the vendor documents first.

An id comes from a webhook body, a sidebar launch or a vendor's answer; put into a path as it is,
`../../admin/secret?x=1` would send the tenant's credentials to another endpoint. Each connector names its
shapes (and their source) and builds paths with `IdShape.check`; `HttpClient.url` also refuses any relative
path that is not plain segments of unreserved characters, so a path built without a check fails as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.errors import InvalidId

DECIMAL = re.compile(r"[0-9]{1,20}")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# What may stand between two slashes of a relative path (RFC 3986's unreserved characters, and the colon of
# Kombo's integration ids); dot segments are refused separately.
SEGMENT = re.compile(r"[A-Za-z0-9._~:-]+")


@dataclass(frozen=True)
class IdShape:
    vendor: str
    described: str  # "decimal integers", for the error
    pattern: re.Pattern[str]

    def check(self, value: object, what: str) -> str:
        """The id as text, or InvalidId; JSON integers are accepted as their digits."""
        text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if not self.pattern.fullmatch(text):
            raise InvalidId(f"{self.vendor} {what} ids are {self.described}, not {str(value)[:80]!r}")
        return text


def check_path(path: str) -> str:
    """A relative request path made only of plain segments: no dot segment, no empty segment, no query,
    fragment, percent-escape or scheme."""
    segments = path.split("/")
    if not all(SEGMENT.fullmatch(s) and s not in {".", ".."} for s in segments) or ":" in segments[0]:
        raise InvalidId(f"refused to request {path[:80]!r}: not a plain relative path")
    return path
