"""What every vendor connector offers the sync engine. Connectors never persist anything."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import ClassVar, Protocol

from connectors.errors import WebhookRejected
from connectors.http import HttpClient, Policy
from connectors.ids import IdShape
from connectors.types import Application, Candidate, Note, WebhookEvent

Record = Candidate | Application


class LookupCache(Protocol):
    """Where a connector may keep a vendor's reference lists (jobs, stages, sources…) between instances: a
    webhook job builds a connector to read one candidate and should not re-read every list to do it. The
    caller scopes it to one installation and decides how long entries live; never hand it personal data."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...


class Connector(ABC):
    vendor: ClassVar[str]
    # Streams in the order a sync reads them; each has its own bookmark.
    streams: ClassVar[tuple[str, ...]]
    # Keys an installation's credentials must hold.
    credential_fields: ClassVar[tuple[str, ...]]
    # The shape the vendor documents for a candidate's id (the one the sidebar's launch context names).
    candidate_id_shape: ClassVar[IdShape]

    def __init__(self, base_url: str, credentials: Mapping[str, str], *, policy: Policy | None = None,
                 sleep: Callable[[float], None] | None = None, cache: LookupCache | None = None) -> None:
        missing = [k for k in self.credential_fields if not credentials.get(k)]
        if missing:
            raise ValueError(f"{self.vendor} credentials need {', '.join(missing)}")
        self.base_url = base_url.rstrip("/")
        self.cache = cache
        self.http = self._client(credentials, policy or Policy(), sleep)

    @classmethod
    def check_candidate_id(cls, value: object) -> str:
        """The candidate id as text, or InvalidId when it is not the shape the vendor documents."""
        return cls.candidate_id_shape.check(value, "candidate")

    @abstractmethod
    def _client(self, credentials: Mapping[str, str], policy: Policy,
                sleep: Callable[[float], None] | None) -> HttpClient:
        """The shared HTTP client, set up with this vendor's auth and quota headers."""

    @abstractmethod
    def read(self, stream: str, since: datetime | None) -> Iterator[list[Record]]:
        """Pages of records changed since `since` (everything when None). A candidate comes before the
        applications that name it, or the engine fetches it."""

    @abstractmethod
    def fetch_candidate(self, candidate_id: str) -> tuple[Candidate, list[Application]]:
        """One candidate and their applications, fresh (after a webhook, or to start tracking)."""

    @abstractmethod
    def add_note(self, candidate_id: str, body: str) -> Note:
        """Write a note on the candidate in the ATS."""

    @abstractmethod
    def add_tag(self, candidate_id: str, tag: str) -> None:
        """Tag the candidate in the ATS (idempotent: tagging twice leaves one tag)."""

    def candidate_for(self, action: str, resource_id: str) -> str | None:
        """The candidate of the record an event names when its body leaves the candidate out (Teamtailor's
        job_application events): read from the API. None when the vendor always names the candidate."""
        return None

    def total(self, stream: str) -> int | None:
        """How many candidates the stream's listing holds by the vendor's own count, once its first page has
        been read; None when the vendor does not say (a progress display then counts without an end)."""
        return None

    def reaches(self) -> str | None:
        """The ATS behind a unified API (Kombo: "webcruiter", "jobylon", …); None for a direct connector."""
        return None

    @staticmethod
    def concerns(event: WebhookEvent, credentials: Mapping[str, str]) -> bool:
        """Whether a verified delivery is about this installation. Direct vendors sign per customer, so yes;
        a unified API that posts every customer's events to each URL (Kombo) says no for the others'."""
        return True

    @classmethod
    def verify_any(cls, secrets: Sequence[str], headers: Mapping[str, str], body: bytes, now: float | None = None,
                   ) -> WebhookEvent:
        """Verify against each of an installation's webhook secrets (Lever gives every webhook its own token;
        any vendor's key can be rotated with both in place); the first that verifies wins."""
        refusal = WebhookRejected("no webhook secret is configured for this installation")
        for secret in secrets:
            try:
                return cls.verify_webhook(secret, headers, body, now)
            except WebhookRejected as exc:
                refusal = exc
        raise refusal

    @staticmethod
    @abstractmethod
    def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
                       ) -> WebhookEvent:
        """Check a delivery's signature against the raw body and parse it; raise WebhookRejected."""
