"""Typed errors of the connectors. Messages never carry credentials."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises."""


class AuthError(ConnectorError):
    """Credentials refused (after one token refresh, where the vendor uses tokens)."""


class NotFound(ConnectorError):
    pass


class RateLimited(ConnectorError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Retriable(ConnectorError):
    """A fault worth retrying: 5xx, timeout, connection reset."""


class Fatal(ConnectorError):
    """A fault retrying cannot fix: a 4xx the client caused, a malformed response, retries exhausted."""


class MalformedResponse(Fatal):
    pass


class InvalidId(Fatal):
    """An id (from a webhook, a sidebar launch or a vendor's answer) that is not the shape the vendor documents,
    or a request path that is not a plain path: refused before it reaches a URL."""


class WebhookRejected(ConnectorError):
    """A delivery that fails verification: missing or wrong signature, stale timestamp, bad body."""
