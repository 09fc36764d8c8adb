"""Signed links and tokens, and claims that succeed once.

Sign-in links, consent links, the sidebar's in-page token and Teamtailor's connection codes and card
links all carry a small JSON payload signed with SECRET_KEY (itsdangerous), under a salt that names
their purpose so that one kind can never pass for another. Links that must act once also carry a random
nonce that the first use claims in Redis (SET NX): nothing is stored per link, and a replay finds the
claim taken. A claim lives at least as long as the link it guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from redis import Redis

CLAIM_PREFIX = "brobygger:"


class BadToken(Exception):
    """A token that is forged, malformed or (`reason == "expired"`) older than its maximum age."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Signer:
    """Signs payloads for one purpose. `timed` tokens carry their signing time and are read with a maximum
    age; untimed ones (a connection code an admin pastes into an ATS) never expire."""

    secret_key: str
    purpose: str
    timed: bool = True

    def _serializer(self) -> URLSafeSerializer:
        kind = URLSafeTimedSerializer if self.timed else URLSafeSerializer
        return kind(self.secret_key, salt=self.purpose)

    def sign(self, payload: Any) -> str:
        return self._serializer().dumps(payload)

    def read(self, token: str, max_age: int | None = None) -> Any:
        """The payload, or BadToken("expired"/"invalid")."""
        try:
            if self.timed:
                return self._serializer().loads(token, max_age=max_age)
            return self._serializer().loads(token)
        except SignatureExpired:
            raise BadToken("expired") from None
        except (BadSignature, UnicodeError, ValueError):
            raise BadToken("invalid") from None

    def peek(self, token: str) -> Any:
        """The payload without checking its signature or age (None when unreadable): never to grant anything,
        only to choose how to word or frame a refusal."""
        try:
            return self._serializer().loads_unsafe(token)[1]
        except (UnicodeError, ValueError, TypeError):
            return None


def claim_once(redis: Redis, key: str, lifetime: int) -> bool:
    """Claim `key` for `lifetime` seconds; False when it was claimed already."""
    return bool(redis.set(CLAIM_PREFIX + key, 1, nx=True, ex=max(1, int(lifetime))))


def is_claimed(redis: Redis, key: str) -> bool:
    return bool(redis.exists(CLAIM_PREFIX + key))


def release_claim(redis: Redis, key: str) -> None:
    """Give a claim back when the action it guarded did not happen, so the link may be used again."""
    redis.delete(CLAIM_PREFIX + key)
