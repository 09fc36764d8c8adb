"""Lever Data API v1 connector: opportunities in, notes and tags out, signed webhooks verified.

Lever's model: an *opportunity* is one candidacy; the person behind it is a *contact*, whose id
(`opportunity.contact`) stays the same across all their opportunities. So a Brobygger candidate is a
Lever contact (`Candidate.ats_id` = contact id) and a Brobygger application is an opportunity.

Sources followed (read, then written up in our own words):
- Lever's developer documentation, hire.lever.co/developer/documentation (API root
  `https://api.lever.co/v1`, Basic auth with the key as user name, contacts vs opportunities; later read in
  full: the Opportunities, Applications, Referrals, Stages, Archive Reasons, Users and Notes references, whose
  shapes are in connectors/fixtures/lever/) and hire.lever.co/developer/deprecated (candidates → opportunities).
- Lever help centre, "What is Lever's Webhooks Subscription API?": one signature token *per webhook*, so an
  installation holds one token per enabled event type and a delivery is checked against each
  (Connector.verify_any).
- singer-io/tap-lever (client.py, streams/base.py, streams/opportunities.py, schemas/): `updated_at_start`
  and `updated_at_end` in epoch **milliseconds**, `limit` 100 with `next` → `offset`, `expand=applications`,
  error bodies carrying a `message` ("Invalid offset token: …"), the referral object's fields
  (`referrer`, `user`, `fields[{text, value}]`, `stage`, `createdAt`), `stageChanges`, `archived`, `urls`.
- PipedreamHQ/pipedream components/lever (search-opportunities, list-archive-reasons): `expand` accepts
  `applications`, `stage`, `owner`, `followers`, `sourcedBy`, `contact`; archive reasons have a `type`
  of `hired` or `non-hired`.
- Public integration code verifying deliveries (a Django view that creates webhooks through
  `POST /v1/webhooks` and stores `configuration.signatureToken`, a Java and a Python ATS adapter): the
  signature is hex HMAC-SHA256 keyed with the webhook's signature token over `token + str(triggeredAt)`
  (not over the body); `data` carries `opportunityId`, `candidateId`, `contactId`, `toStageId`,
  `fromStageId`, `toArchived`; a connection test arrives with empty `data`.
- Ids: every id in the references and their examples (opportunities, contacts, users, stages) is a UUID, such as
  `250d8f03-738a-4bba-a671-8a3d73477145`; an id of any other shape is refused before it reaches a path
  (connectors/ids.py).
- Secondary (unconfirmed at Lever): ~10 requests/s per key with bursts to 20, as a token bucket, 429 when
  exceeded (truto.one guide, apis.io rate-limit profile); `contact_id` as an opportunities filter (a
  published Lever tool schema).

Still unsure, and what this module assumes:
- `updatedAt` is documented as "Timestamp or null" (null when never set since the field was introduced) and
  Lever's own list example leaves it out, with `stageChanges`, on older opportunities: such an opportunity is
  taken as last changed at `createdAt`, and its stage history is its current stage as of `lastAdvancedAt`.
  What the connector reads and Lever always sends is required, and its absence is a MalformedResponse: an
  opportunity's id, contact, createdAt, origin and current stage; a stage change's toStageId and updatedAt;
  an archived opportunity's reason and archivedAt; an expanded application's posting; a stage's text, an
  archive reason's text and type, a user's name and email.
- Quota headers: Lever documents none, so no `RateLimitHeaders` are configured. The client keeps to the
  documented rate itself (a token bucket of 10 a second with bursts of 20; it keeps a tenth under) and
  waits out any 429 still met, honouring `Retry-After` when sent and backing off with jitter when not.
- The `Lever-Signature` header scheme one secondary source describes was not found in any code that
  talks to Lever; the body scheme is the one implemented, and headers are ignored.
- Whether a retried delivery keeps its `token`: assumed yes, so `token` is the dedupe key.
- `headline` is documented as "typically a list of previous companies": the employer is its first
  item; a headline of the form "<title> at <employer>" gives both. Lever has no title field.
- Referral forms are configurable: the referrer's name and e-mail come from the Lever user named in
  `referrer` (via `GET /v1/users`, read once) and otherwise from form fields labelled with "name" and
  "email".
- Lever has no "event" origin: `university` (campus recruiting) maps to `SourceKind.EVENT`, `internal`
  to `OTHER`.
- Webhook `data` fields per event beyond the ones above (the bodies are in connectors/fixtures/lever/): the
  contact id is taken from `contactId` and the opportunity from `opportunityId`; a body naming only the
  opportunity gets its contact from `GET /opportunities/{id}` (candidate_for). `candidateDeleted` concerns
  one opportunity: the app forgets that opportunity and keeps the contact while others remain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.base import Connector, LookupCache, Record
from connectors.errors import MalformedResponse, NotFound, WebhookRejected
from connectors.http import ApiKeyAuth, HttpClient, Policy, TokenBucket, json_body
from connectors.ids import UUID, IdShape
from connectors.lookups import Lookup
from connectors.pagination import offset_token_pages
from connectors.types import (
    Application,
    Candidate,
    Note,
    Outcome,
    Referrer,
    Source,
    SourceKind,
    StageReached,
    WebhookEvent,
    classify_stage,
)

DEFAULT_BASE_URL = "https://api.lever.co/v1"
MAX_PAGE_SIZE = 100
# The posting id and the current stage's name without extra requests; `owner` expands too, but no
# vendor-neutral field takes it, so it is left as an id.
EXPAND = ("applications", "stage")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Lever's documented token bucket is 10 requests a second per key with bursts to 20. The client keeps a tenth
# under it: requests sent evenly can arrive bunched, and Lever counts arrivals.
RATE_PER_SECOND = 9.0
RATE_BURST = 18

# Lever signs only `token + triggeredAt`, so the timestamp is all that bounds how long a captured delivery
# can be replayed. `triggeredAt` is when the event fired, not when the POST was sent: deliveries queued or
# retried by Lever arrive later than a send-time-signed scheme would, hence 15 minutes rather than 5. Within
# the window, replays are caught by deduplicating on `token`; anything older the poller picks up anyway.
WEBHOOK_TOLERANCE = 15 * 60

ID = IdShape("Lever", "UUIDs", UUID)

ORIGIN_KINDS = {
    "agency": SourceKind.AGENCY,
    "applied": SourceKind.APPLIED,
    "internal": SourceKind.OTHER,  # an internal move, not a channel Brobygger tracks
    "referred": SourceKind.REFERRAL,
    "sourced": SourceKind.SOURCED,
    "university": SourceKind.EVENT,  # campus recruiting: career fairs and events
}


def _catalogue(http: HttpClient, path: str, fields: tuple[str, ...]) -> Callable[[], list[dict[str, Any]]]:
    """A small list endpoint (stages, archive reasons, users), every page of it, for a Lookup. Each item must
    carry the documented `fields` the connector reads from it (besides its id): a stage without its text, a
    reason without its type, would otherwise be read as a nameless stage or a rejection."""

    def load() -> list[dict[str, Any]]:
        items = []
        for page in offset_token_pages(http, path, {}, limit=MAX_PAGE_SIZE):
            for item in page:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise MalformedResponse(f"GET {path}: an item without an id")
                missing = [name for name in fields if not isinstance(item.get(name), str) or not item[name]]
                if missing:
                    raise MalformedResponse(f"GET {path}: item {item['id']} has no {', '.join(missing)}")
                items.append(item)
        return items

    return load


class LeverConnector(Connector):
    vendor: ClassVar[str] = "lever"
    streams: ClassVar[tuple[str, ...]] = ("opportunities",)
    credential_fields: ClassVar[tuple[str, ...]] = ("api_key",)  # optional: user_id, sent as perform_as on writes
    candidate_id_shape: ClassVar[IdShape] = ID

    def __init__(self, base_url: str, credentials: Mapping[str, str], *, policy: Policy | None = None,
                 sleep: Callable[[float], None] | None = None, page_size: int = MAX_PAGE_SIZE,
                 cache: LookupCache | None = None) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"Lever pages hold 1 to {MAX_PAGE_SIZE} records")
        super().__init__(base_url, credentials, policy=policy, sleep=sleep, cache=cache)
        self.page_size = page_size
        self._perform_as = credentials.get("user_id") or None
        # Stages and archive reasons name no one: shared through the cache; users are people: read per connector.
        self._stages = Lookup(_catalogue(self.http, "stages", ("text",)), cache=cache, name="stages")
        self._reasons = Lookup(_catalogue(self.http, "archive_reasons", ("text", "type")), cache=cache,
                               name="archive_reasons")
        self._users = Lookup(_catalogue(self.http, "users", ("name", "email")))

    def _client(self, credentials: Mapping[str, str], policy: Policy,
                sleep: Callable[[float], None] | None) -> HttpClient:
        # No quota headers are documented: rate limiting rests on 429 + Retry-After in the client.
        return HttpClient(self.base_url, ApiKeyAuth.basic("Lever", credentials["api_key"]), policy=policy,
                          sleep=sleep or time.sleep, pace=TokenBucket(RATE_PER_SECOND, RATE_BURST))

    # --- reads ------------------------------------------------------------------------------------

    def read(self, stream: str, since: datetime | None) -> Iterator[list[Record]]:
        if stream not in self.streams:
            raise ValueError(f"Lever has no stream {stream!r}")
        params: dict[str, Any] = {"expand": list(EXPAND)}
        if since is not None:
            params["updated_at_start"] = to_ms(since)
        for page in offset_token_pages(self.http, "opportunities", params, limit=self.page_size):
            yield self._records([_opportunity(item) for item in page])

    def fetch_candidate(self, candidate_id: str) -> tuple[Candidate, list[Application]]:
        opportunities = self._opportunities_of(candidate_id, expand=True)
        return self._candidate(opportunities), [self._application(o) for o in opportunities]

    def candidate_for(self, action: str, resource_id: str) -> str | None:
        """The contact of an opportunity, for a delivery whose data names only the opportunity."""
        try:
            body = self.http.get_json(f"opportunities/{ID.check(resource_id, 'opportunity')}")
        except NotFound:
            return None
        return _opportunity(body.get("data") if isinstance(body, dict) else None)["contact"]

    def _records(self, opportunities: list[dict[str, Any]]) -> list[Record]:
        """Each opportunity's contact (merged over the page, once) before the opportunity itself."""
        by_contact: dict[str, list[dict[str, Any]]] = {}
        for opportunity in opportunities:
            by_contact.setdefault(opportunity["contact"], []).append(opportunity)
        records: list[Record] = []
        emitted: set[str] = set()
        for opportunity in opportunities:
            contact = opportunity["contact"]
            if contact not in emitted:
                emitted.add(contact)
                records.append(self._candidate(by_contact[contact]))
            records.append(self._application(opportunity))
        return records

    def _opportunities_of(self, contact_id: str, *, expand: bool) -> list[dict[str, Any]]:
        contact_id = self.check_candidate_id(contact_id)
        params: dict[str, Any] = {"contact_id": contact_id, **({"expand": list(EXPAND)} if expand else {})}
        found = [_opportunity(item) for page in offset_token_pages(self.http, "opportunities", params,
                                                                    limit=MAX_PAGE_SIZE) for item in page]
        found = [o for o in found if o["contact"] == contact_id]
        if not found:
            raise NotFound(f"Lever has no opportunities for contact {contact_id}")
        return found

    def _candidate(self, opportunities: list[dict[str, Any]]) -> Candidate:
        latest = max(opportunities, key=lambda o: (_updated_at(o), _required_ms(o, "createdAt")))
        first, _, last = str(latest.get("name") or "").strip().partition(" ")
        employer, title = _employer_and_title(latest.get("headline"))
        links = _merged(opportunities, "links")
        return Candidate(
            ats_id=latest["contact"], first_name=first, last_name=last.strip(),
            updated_at=max(_updated_at(o) for o in opportunities),
            emails=_merged(opportunities, "emails"),
            phones=tuple(dict.fromkeys(p for o in opportunities for p in _phones(o.get("phones")))),
            employer=employer, title=title,
            linkedin_url=next((link for link in links if "linkedin.com" in link.casefold()), None),
            tags=_merged(opportunities, "tags"), url=_show_url(latest))

    def _application(self, opportunity: dict[str, Any]) -> Application:
        outcome, closed_at, reason = self._outcome(opportunity.get("archived"))
        source = _source(opportunity)
        return Application(
            ats_id=opportunity["id"], candidate_id=opportunity["contact"],
            updated_at=_updated_at(opportunity), outcome=outcome,
            job_id=_posting(opportunity), applied_at=_required_ms(opportunity, "createdAt"),
            closed_at=closed_at, rejection_reason=reason, stages=self._stages_reached(opportunity), source=source,
            referrer=self._referrer(opportunity["id"]) if opportunity.get("origin") == "referred" else None)

    def _outcome(self, archived: Any) -> tuple[Outcome, datetime | None, str | None]:
        if not archived:
            return Outcome.ACTIVE, None, None
        if not isinstance(archived, dict):
            raise MalformedResponse("an opportunity's archived field is not an object")
        if not isinstance(archived.get("reason"), str) or not archived["reason"]:
            raise MalformedResponse("an archived opportunity without its archive reason")
        reason = self._reasons.get(archived["reason"])
        closed_at = _required_ms(archived, "archivedAt", "an archived opportunity")
        if reason is not None and reason.get("type") == "hired":
            return Outcome.HIRED, closed_at, None
        return Outcome.NOT_HIRED, closed_at, (reason or {}).get("text")

    def _stages_reached(self, opportunity: dict[str, Any]) -> tuple[StageReached, ...]:
        """The stage history (`stageChanges`), or, for an opportunity older than that field (Lever's own list
        example has such), the current stage as reached when last advanced. Every opportunity is in a stage."""
        current = opportunity.get("stage")
        current = current if isinstance(current, dict) else {"id": current}
        if not isinstance(current.get("id"), str) or not current["id"]:
            raise MalformedResponse(f"opportunity {opportunity['id']} has no current stage")
        changes = opportunity.get("stageChanges") or []
        for change in changes:
            if not isinstance(change, dict) or not isinstance(change.get("toStageId"), str) or not change["toStageId"]:
                raise MalformedResponse(f"opportunity {opportunity['id']}: a stage change without toStageId")
            _required_ms(change, "updatedAt", f"opportunity {opportunity['id']}: a stage change")
        if not changes:
            changes = [{"toStageId": current["id"], "updatedAt": opportunity.get("lastAdvancedAt")}]
        reached = []
        for change in changes:
            stage_id = change["toStageId"]
            known = self._stages.get(stage_id) or (current if current.get("id") == stage_id else {})
            name = str(known.get("text") or stage_id)
            reached.append(StageReached(stage_id, name, classify_stage(name), from_ms(change.get("updatedAt"))))
        return tuple(reached)

    def _referrer(self, opportunity_id: str) -> Referrer | None:
        """One request per referred opportunity only, so a sync's request count follows its size."""
        for page in offset_token_pages(self.http, f"opportunities/{opportunity_id}/referrals", {},
                                       limit=MAX_PAGE_SIZE):
            for referral in page:
                if isinstance(referral, dict):
                    found = self._referrer_from(referral)
                    if found is not None:
                        return found
        return None

    def _referrer_from(self, referral: dict[str, Any]) -> Referrer | None:
        user_id = referral.get("referrer")
        user = self._users.get(user_id) or {}
        labelled = [(str(f.get("text") or "").casefold(), f.get("value"))
                    for f in referral.get("fields") or [] if isinstance(f, dict)]
        name = user.get("name") or _field(labelled, "name")
        if not name:
            return None
        return Referrer(name=str(name), email=user.get("email") or _field(labelled, "email"),
                        ats_user_id=user_id if user else None, is_employee=bool(user))

    # --- writes -----------------------------------------------------------------------------------

    def add_note(self, candidate_id: str, body: str) -> Note:
        if not body.strip():
            raise ValueError("a note needs some text")
        opportunity = self._latest_opportunity(candidate_id)
        response = self.http.request("POST", f"opportunities/{ID.check(opportunity['id'], 'opportunity')}/notes",
                                     params=self._acting(),
                                     json={"value": body})
        data = json_body(response, "POST notes")
        note = data.get("data") if isinstance(data, dict) else None
        note_id = note.get("noteId") or note.get("id") if isinstance(note, dict) else None
        if not note_id:
            raise MalformedResponse("POST notes: the response names no note id")
        return Note(ats_id=str(note_id), candidate_id=candidate_id, body=body,
                    created_at=from_ms(note.get("createdAt")))

    def add_tag(self, candidate_id: str, tag: str) -> None:
        opportunity = self._latest_opportunity(candidate_id)
        if tag in (opportunity.get("tags") or []):
            return
        self.http.request("POST", f"opportunities/{ID.check(opportunity['id'], 'opportunity')}/addTags",
                          params=self._acting(), json={"tags": [tag]})

    def _latest_opportunity(self, contact_id: str) -> dict[str, Any]:
        """Writes go on the contact's most recent opportunity, where a recruiter looks first."""
        return max(self._opportunities_of(contact_id, expand=False), key=lambda o: _required_ms(o, "createdAt"))

    def _acting(self) -> dict[str, str]:
        return {"perform_as": self._perform_as} if self._perform_as else {}

    # --- webhooks ---------------------------------------------------------------------------------

    @staticmethod
    def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
                       ) -> WebhookEvent:
        """`secret` is the webhook's signature token. Lever signs `token + triggeredAt`, not the body, so
        `data` is unauthenticated: treat the event as a hint and re-read the candidate from the API.
        Events (applicationCreated, candidateStageChange, candidateArchiveChange, candidateHired,
        candidateDeleted, interview*, contact*) pass through as `action`; an unlisted but signed one is
        still genuine, so it is not refused (a refusal would only make Lever retry it)."""
        if not secret:
            raise WebhookRejected("no signature token is configured for this webhook")
        delivery = _delivery(body)
        token, triggered_at, signature = delivery["token"], delivery["triggeredAt"], delivery["signature"]
        # `surrogatepass`: a lone surrogate (from a \u escape) is no UTF-8 Lever signed; it must fail to match,
        # not fail to encode
        signed = f"{token}{triggered_at}".encode("utf-8", "surrogatepass")
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogatepass")):
            raise WebhookRejected("the signature does not match token + triggeredAt")
        age = (time.time() if now is None else now) - int(triggered_at) / 1000
        if age > WEBHOOK_TOLERANCE:
            raise WebhookRejected(f"triggeredAt is {int(age)} s old, beyond the {WEBHOOK_TOLERANCE} s tolerance")
        if -age > WEBHOOK_TOLERANCE:
            raise WebhookRejected(f"triggeredAt is {int(-age)} s in the future, beyond the tolerance")
        data = delivery.get("data") or {}
        contact, opportunity = data.get("contactId"), data.get("opportunityId")
        return WebhookEvent(event_id=token, action=delivery["event"],
                            candidate_id=str(contact) if contact else None, occurred_at=from_ms(int(triggered_at)),
                            is_ping=not data, payload=delivery,
                            resource_id=str(opportunity) if isinstance(opportunity, str) and opportunity else None)


def _delivery(body: bytes) -> dict[str, Any]:
    """The parsed delivery, with its signed fields checked for presence and type."""
    try:
        delivery = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON") from None
    if not isinstance(delivery, dict):
        raise WebhookRejected("the body is not a JSON object")
    for name in ("token", "signature", "event"):
        if not isinstance(delivery.get(name), str) or not delivery[name]:
            raise WebhookRejected(f"the delivery has no {name}")
    triggered_at = delivery.get("triggeredAt")
    # ASCII digits only (str.isdigit also takes '²', which int() refuses) and at most 16 of them, so that
    # int() and the age in seconds (a float) cannot overflow
    if isinstance(triggered_at, bool) or not (
            (isinstance(triggered_at, int) and 0 <= triggered_at < 10 ** 16)
            or (isinstance(triggered_at, str) and triggered_at.isascii() and triggered_at.isdigit()
                and len(triggered_at) <= 16)):
        raise WebhookRejected("the delivery has no triggeredAt in epoch milliseconds")
    if delivery.get("data") is not None and not isinstance(delivery["data"], dict):
        raise WebhookRejected("the delivery's data is not an object")
    return delivery


# --- small helpers ----------------------------------------------------------------------------------

def to_ms(moment: datetime) -> int:
    """Epoch milliseconds, the only time format Lever accepts and sends (a naive time is taken as UTC)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResponse(f"expected epoch milliseconds, got {type(value).__name__}")
    return EPOCH + timedelta(milliseconds=value)


def _required_ms(item: Mapping[str, Any], name: str, what: str = "an opportunity") -> datetime:
    moment = from_ms(item.get(name))
    if moment is None:
        raise MalformedResponse(f"{what} without {name}")
    return moment


def _updated_at(opportunity: Mapping[str, Any]) -> datetime:
    """`updatedAt` is documented as "Timestamp or null": null (and, in Lever's own list example, absent) for an
    opportunity not updated since the field was introduced. Such an opportunity last changed when it was
    created, so `createdAt` stands in; `createdAt` itself is required."""
    if opportunity.get("updatedAt") is None:
        return _required_ms(opportunity, "createdAt")
    return _required_ms(opportunity, "updatedAt")


def _posting(opportunity: Mapping[str, Any]) -> str | None:
    """The posting of the opportunity's application (at most one). An opportunity with no application (a lead
    never applied to a job) has none; an expanded application always names its posting."""
    for application in opportunity.get("applications") or []:
        if not isinstance(application, dict):
            continue  # not expanded: an application id
        posting = application.get("posting")
        if isinstance(posting, dict):  # expand=applications.posting would inline it
            posting = posting.get("id")
        if not isinstance(posting, str) or not posting:
            raise MalformedResponse(f"opportunity {opportunity.get('id')}: an application without its posting")
        return posting
    return None


def _opportunity(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("contact"), str):
        raise MalformedResponse("GET opportunities: a record without an id or a contact")
    return item


def _merged(opportunities: list[dict[str, Any]], name: str) -> tuple[str, ...]:
    """A list field's values over all of a contact's opportunities, first seen first, without repeats."""
    return tuple(dict.fromkeys(str(v) for o in opportunities for v in o.get(name) or [] if v))


def _phones(phones: Any) -> list[str]:
    values = [p.get("value") if isinstance(p, dict) else p for p in phones or []]
    return [str(v) for v in values if v]


def _employer_and_title(headline: Any) -> tuple[str | None, str | None]:
    text = str(headline or "").strip()
    title, at, employer = text.rpartition(" at ")
    if at and title.strip() and employer.strip():
        return employer.strip(), title.strip()
    return (text.split(",")[0].strip() or None), None


def _source(opportunity: Mapping[str, Any]) -> Source:
    """Every opportunity has an origin (one of six, documented); its sources are the free-text channels."""
    origin = opportunity.get("origin")
    if not isinstance(origin, str) or not origin:
        raise MalformedResponse(f"opportunity {opportunity.get('id')} has no origin")
    names = [str(s) for s in opportunity.get("sources") or [] if s]
    return Source(name=names[0] if names else origin, kind=ORIGIN_KINDS.get(origin, SourceKind.OTHER))


def _show_url(opportunity: Mapping[str, Any]) -> str | None:
    urls = opportunity.get("urls")
    return str(urls["show"]) if isinstance(urls, dict) and urls.get("show") else None


def _field(labelled: list[tuple[str, Any]], word: str) -> str | None:
    return next((str(value) for label, value in labelled if word in label and value), None)
