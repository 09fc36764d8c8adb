"""The one HTTP client every vendor connector uses.

Every call has a timeout. A table maps each status to an action (succeed, refresh the token once, wait
out a rate limit, retry with backoff, or fail with a typed error). Backoff is capped exponential with
full jitter and honours `Retry-After`; the vendor's remaining-quota headers make the client pause
*before* it would be refused. Credentials live only in request headers, which are never logged.
Patterns after stripe-python's retry logic and the Singer SDK / Airbyte CDK HTTP streams.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests

from connectors.errors import AuthError, Fatal, InvalidId, MalformedResponse, NotFound, RateLimited, Retriable
from connectors.ids import check_path

log = logging.getLogger(__name__)

USER_AGENT = "Brobygger/0.1 (+https://brobygger.example)"


class Action(Enum):
    OK = "ok"
    REFRESH = "refresh"  # token refused: refresh it once, then give up
    WAIT = "wait"  # rate limited: wait as told, retry
    RETRY = "retry"  # transient: back off, retry a bounded number of times
    NOT_FOUND = "not_found"
    AUTH = "auth"
    FAIL = "fail"


STATUS_ACTIONS: dict[int, Action] = {
    401: Action.REFRESH,
    403: Action.AUTH,
    404: Action.NOT_FOUND,
    408: Action.RETRY,
    425: Action.RETRY,
    429: Action.WAIT,
    500: Action.RETRY,
    502: Action.RETRY,
    503: Action.RETRY,
    504: Action.RETRY,
}


IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def action_for(status: int) -> Action:
    if 200 <= status < 300:
        return Action.OK
    return STATUS_ACTIONS.get(status, Action.RETRY if status >= 500 else Action.FAIL)


class Auth(Protocol):
    def headers(self) -> dict[str, str]: ...

    def refresh(self) -> bool:
        """Get fresh credentials after a 401; False when there is nothing to refresh."""
        ...


@dataclass(frozen=True)
class StaticAuth:
    """A fixed header, e.g. Teamtailor's `Authorization: Token token=…`."""

    name: str
    value: str

    def headers(self) -> dict[str, str]:
        return {self.name: self.value}

    def refresh(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"StaticAuth({self.name}: ***)"


class ApiKeyAuth:
    """A vendor's API key in a fixed header (Lever, Ashby, Kombo). A key cannot be refreshed: the first 401
    fails with a message that says so, instead of the same key being sent a second time."""

    def __init__(self, vendor: str, name: str, value: str) -> None:
        self.vendor = vendor
        self._header = {name: value}

    @classmethod
    def basic(cls, vendor: str, key: str) -> ApiKeyAuth:
        """HTTP Basic with the key as user name and an empty password."""
        return cls(vendor, *basic_auth(key).headers().popitem())

    @classmethod
    def bearer(cls, vendor: str, key: str) -> ApiKeyAuth:
        return cls(vendor, "Authorization", f"Bearer {key}")

    def headers(self) -> dict[str, str]:
        return dict(self._header)

    def refresh(self) -> bool:
        raise AuthError(f"{self.vendor} refused the API key (HTTP 401); API keys cannot be refreshed, issue a new one")

    def __repr__(self) -> str:
        return f"ApiKeyAuth({self.vendor}, ***)"


def basic_auth(user: str, password: str = "") -> StaticAuth:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return StaticAuth("Authorization", f"Basic {token}")


class OAuthClientCredentials:
    """OAuth 2.0 client-credentials grant: fetch a bearer token, refresh it a minute before it expires
    and once more when the API refuses it. The token response may give `expires_at` (absolute) or
    `expires_in` (seconds); both are accepted."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, *, extra: Mapping[str, str] | None = None,
                 margin: float = 60, client: HttpClient | None = None, clock: Callable[[], float] = time.time) -> None:
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._extra = dict(extra or {})
        self._margin = margin
        self._client = client or HttpClient(token_url)
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OAuthClientCredentials({self.token_url}, client_id=***)"

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                self._fetch()
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        with self._lock:
            self._fetch()
        return True

    def _fetch(self) -> None:
        response = self._client.request(
            "POST", self.token_url, data={"grant_type": "client_credentials", **self._extra},
            headers=basic_auth(self._client_id, self._client_secret).headers(), refreshable=False, idempotent=True)
        body = json_body(response, "token")
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise MalformedResponse("token endpoint answered without an access_token")
        self._token = body["access_token"]
        self._expires_at = _token_expiry(body, self._clock())


def _token_expiry(body: Mapping[str, Any], now: float) -> float:
    if "expires_at" in body:
        value = body["expires_at"]
        if isinstance(value, int | float):
            return float(value)
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise MalformedResponse("token endpoint sent an unreadable expires_at") from None
    if isinstance(body.get("expires_in"), int | float):
        return now + float(body["expires_in"])
    return now + 3600  # RFC 6749 leaves expiry optional; an hour is the common lifetime


@dataclass(frozen=True)
class RateLimitHeaders:
    """Names of a vendor's quota headers. `reset` may be seconds to wait or a Unix time; both are read."""

    remaining: str
    reset: str
    limit: str | None = None


class TokenBucket:
    """Client-side pacing at a vendor's documented rate: `rate` requests a second on average, `burst` at once.
    For vendors whose quota headers are missing (Lever) or carry static values (Teamtailor): the client keeps
    under the rate itself and treats a 429 as the correction, not the plan."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least one")
        self.rate, self.burst = rate, burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Take one token; the seconds to wait before sending (0 when a token was at hand)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= 1  # may go negative: the debt is what the caller waits out
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


@dataclass
class Policy:
    timeout: tuple[float, float] = (3.05, 30.0)  # connect, read
    max_attempts: int = 5  # for transient faults (5xx, timeouts); rate-limit waits are counted apart
    max_waits: int = 200  # rate-limit waits before giving up: a storm must end, not hang forever
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_wait: float = 120.0  # longest single Retry-After we honour


class HttpClient:
    def __init__(self, base_url: str, auth: Auth | None = None, *, policy: Policy | None = None,
                 rate_limit: RateLimitHeaders | None = None, headers: Mapping[str, str] | None = None,
                 session: requests.Session | None = None, sleep: Callable[[float], None] | None = None,
                 pace: TokenBucket | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.pace = pace
        self.auth = auth
        self.policy = policy or Policy()
        self.rate_limit = rate_limit
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self._session = session or requests.Session()
        self._sleep = sleep or time.sleep
        self._paused_until = 0.0
        # The quota window's end as tightly as the headers bound it (monotonic clock), and the last remaining
        # count seen, which tells a new window (remaining went up) from the current one.
        self._window_ends: float | None = None
        self._last_remaining: float | None = None
        self.stats = {"requests": 0, "retries": 0, "rate_limited": 0, "throttled": 0}

    def __repr__(self) -> str:
        return f"HttpClient({self.base_url}, auth={self.auth!r})"

    def url(self, path_or_url: str) -> str:
        """A plain path below the base URL, or an absolute URL the vendor gave (a next page) on the base URL's
        own origin: the credentials this client sends go to no other endpoint or host."""
        given = urlsplit(path_or_url)
        if given.scheme and given.netloc:
            base = urlsplit(self.base_url)
            if (given.scheme.lower(), given.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
                raise InvalidId(f"refused to follow a link to {given.scheme}://{given.netloc}: not "
                                f"{base.scheme}://{base.netloc}")
            return path_or_url
        return urljoin(self.base_url, check_path(path_or_url.lstrip("/")))

    def get_json(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        return json_body(self.request("GET", path_or_url, params=params), path_or_url)

    def request(self, method: str, path_or_url: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, data: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
                refreshable: bool = True, idempotent: bool | None = None) -> requests.Response:
        """Send one request through the status table. A write (POST, PATCH) that may have been applied —
        a timeout or a 5xx after it was sent — is not repeated blindly: that could write a note twice.
        Pass `idempotent=True` for a write that is safe to repeat."""
        url = self.url(path_or_url)
        repeatable = method.upper() in IDEMPOTENT if idempotent is None else idempotent
        where = f"{method} {urlsplit(url).path}"  # logs and errors name the path only, never query or headers
        attempts = waits = 0
        refreshed = not refreshable or self.auth is None
        while True:
            self._respect_pause()
            request_headers = {**self._headers, **(self.auth.headers() if self.auth and refreshable else {}),
                               **(headers or {})}
            self.stats["requests"] += 1
            try:
                response = self._session.request(method, url, params=params, json=json, data=data,
                                                 headers=request_headers, timeout=self.policy.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                if isinstance(exc, requests.ReadTimeout) and not repeatable:
                    # the vendor may have acted on it: a blind retry could write a second note
                    raise Retriable(f"{where}: no answer in time; not retried, as it may have been applied") from None
                attempts += 1
                self._retry_or_raise(where, attempts, f"{type(exc).__name__}", None)
                continue
            self._note_quota(response)
            action = action_for(response.status_code)
            log.debug("%s -> %s (%s)", where, response.status_code, action.value)
            if action is Action.OK:
                return response
            if action is Action.REFRESH:
                if refreshed:
                    raise AuthError(f"{where}: credentials refused (HTTP 401)")
                refreshed = True
                if not self.auth.refresh():  # type: ignore[union-attr]  # nothing to refresh: do not resend
                    raise AuthError(f"{where}: credentials refused (HTTP 401)")
                continue
            if action is Action.WAIT:
                waits += 1
                self.stats["rate_limited"] += 1
                delay = retry_after(response) or self._backoff(waits)
                if waits > self.policy.max_waits or delay > self.policy.max_wait:
                    raise RateLimited(f"{where}: still rate limited after {waits} waits", delay)
                self._sleep(delay)
                continue
            if action is Action.RETRY:
                if not repeatable:
                    raise Retriable(f"{where}: HTTP {response.status_code}; not retried, as it may have been applied")
                attempts += 1
                self._retry_or_raise(where, attempts, f"HTTP {response.status_code}", retry_after(response))
                continue
            if action is Action.NOT_FOUND:
                raise NotFound(f"{where}: not found (HTTP 404)")
            if action is Action.AUTH:
                raise AuthError(f"{where}: access denied (HTTP {response.status_code})")
            raise Fatal(f"{where}: HTTP {response.status_code}: {_snippet(response)}")

    def _retry_or_raise(self, where: str, attempts: int, reason: str, delay: float | None) -> None:
        if attempts >= self.policy.max_attempts:
            raise Retriable(f"{where}: failed after {attempts} attempts, last: {reason}")
        self.stats["retries"] += 1
        self._sleep(min(self.policy.backoff_cap, delay) if delay else self._backoff(attempts))

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to the capped exponential, so clients do not retry in step."""
        return random.uniform(0, min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** attempt))

    def _note_quota(self, response: requests.Response) -> None:
        """Pause before the next call when the vendor says the window's quota is spent, until the window ends.

        A reset given in whole seconds is rounded up, so one answer alone can overstate the wait by up to a
        second: a tenth of a 10-second window. Every answer in the same window bounds its end from above
        (time received + reset), so the client waits until the tightest of those bounds — never before the
        vendor's own reset, and without idling most of a second per window."""
        if self.rate_limit is None:
            return
        remaining = _number(response.headers.get(self.rate_limit.remaining))
        if remaining is None:
            return
        if self._last_remaining is None or remaining > self._last_remaining:
            self._window_ends = None  # the quota was renewed: a new window
        self._last_remaining = remaining
        now = time.monotonic()
        reset = _number(response.headers.get(self.rate_limit.reset))
        if reset is not None:
            bound, current = now + _seconds_until(reset), self._window_ends
            # a bound already past belongs to a window that ended unnoticed
            self._window_ends = bound if current is None or current <= now else min(current, bound)
        if remaining > 0:
            return
        ends = self._window_ends if self._window_ends is not None else now + 1.0
        self._paused_until = max(self._paused_until, min(ends, now + self.policy.max_wait))

    def _respect_pause(self) -> None:
        if self.pace is not None:
            wait = self.pace.delay()
            if wait > 0:
                self.stats["throttled"] += 1
                self._sleep(wait)
        delay = self._paused_until - time.monotonic()
        if delay > 0:
            self.stats["throttled"] += 1
            self._sleep(delay)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _seconds_until(reset: float) -> float:
    """A reset value above 10^9 is a Unix time; anything smaller is already a number of seconds."""
    return max(0.0, reset - time.time()) if reset > 1e9 else max(0.0, reset)


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_body(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise MalformedResponse(f"{what}: the response is not valid JSON (HTTP {response.status_code})") from None


def _snippet(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200] + ("…" if len(text) > 200 else "")
