"""What every vendor simulator shares: a fixed-window rate limit, switchable faults, a request log,
bearer tokens that expire, and a helper that serves the WSGI app over real HTTP on 127.0.0.1.

A vendor limits each customer's credentials on their own, so a simulator that serves several accounts (each
with its own credentials, see `account`) keeps one quota window per account; `window` is the first
account's, the one every simulator has.

Plain Werkzeug, no Flask: simulators live in `connectors/`, which depends on no web framework.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from connectors.simulators.dataset import Dataset

_WINDOW_KEY = "brobygger.simulator.window"  # where _respond leaves the request's quota window for the log


class Fault(StrEnum):
    SERVER_ERROR = "5xx"  # answer 503
    SLOW = "slow"  # answer only after `slow_seconds` (past the client's read timeout)
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    EXPIRE_TOKENS = "expire_tokens"  # every issued token stops working; the request gets 401


@dataclass(frozen=True)
class QuotaHeaders:
    limit: str
    remaining: str
    reset: str


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    status: int = 0
    at: float = field(default_factory=time.time)  # arrival, Unix time
    seconds: float = 0.0  # time spent answering it
    metered: bool = False  # counted against the rate limit (not a public route such as a token endpoint)
    window: int | None = None  # which quota window it fell in (Window.opened), when metered
    metered_at: float | None = None  # when the quota was checked (Unix time): a window opens at its first check
    account: str | None = None  # whose quota it counted against: None for the first account (`window`)


@dataclass
class Window:
    """A fixed-window quota: `limit` requests per `seconds`; then 429 until the window ends."""

    limit: int
    seconds: float
    started: float = field(default_factory=time.monotonic)
    used: int = 0
    opened: int = 0  # windows opened after the first: numbers each window for the request log

    def take(self) -> tuple[bool, int, float]:
        now = time.monotonic()
        if now - self.started >= self.seconds:
            self.started, self.used = now, 0
            self.opened += 1
        reset = self.started + self.seconds - now
        if self.used >= self.limit:
            return False, 0, reset
        self.used += 1
        return True, self.limit - self.used, reset


class Bucket(Window):
    """A token bucket (`rate` a second, `burst` at once) in place of the fixed window, for vendors that
    document one (Lever). `reset` is the time until the next token."""

    def __init__(self, rate: float, burst: int) -> None:
        super().__init__(burst, 1.0)
        self.rate = rate
        self.tokens = float(burst)

    def take(self) -> tuple[bool, int, float]:
        now = time.monotonic()
        self.tokens = min(float(self.limit), self.tokens + (now - self.started) * self.rate)
        self.started = now
        if self.tokens < 1:
            return False, 0, (1 - self.tokens) / self.rate
        self.tokens -= 1
        return True, int(self.tokens), 0.0


class Simulator(ABC):
    """Base WSGI app. Subclasses implement `authenticate` and `route`."""

    quota_headers: QuotaHeaders = QuotaHeaders("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
    sends_quota_headers: bool = True  # False for a vendor that documents none: the window still answers 429

    def __init__(self, dataset: Dataset, *, rate_limit: int = 50, window_seconds: float = 10.0,
                 slow_seconds: float = 5.0, token_lifetime: float = 3600.0) -> None:
        self.data = dataset
        self.window = Window(rate_limit, window_seconds)
        self._windows: dict[str, Window] = {}  # the other accounts' quota windows, opened at their first request
        self.slow_seconds = slow_seconds
        self.token_lifetime = token_lifetime
        self.requests: list[LoggedRequest] = []
        self.over_quota = 0  # requests that arrived while the quota was spent
        self._faults: deque[Fault] = deque()
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._hold_after: int | None = None
        self.holding = threading.Event()  # set while a request is held (see `hold`)
        self._released = threading.Event()

    # --- switches for tests -----------------------------------------------------------------------

    def inject(self, fault: Fault | str, times: int = 1) -> None:
        """Apply `fault` to the next `times` requests (after authentication and the rate limit)."""
        with self._lock:
            self._faults.extend([Fault(fault)] * times)

    def hold(self, after: int) -> None:
        """Hold the request that comes after the next `after` metered ones until `release()`: the client is
        then stopped mid-stream at a point the test chose, and the test can act on it (kill it, say)."""
        with self._lock:
            self._hold_after = after
            self.holding.clear()
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def issue_token(self) -> tuple[str, float]:
        token = secrets.token_urlsafe(24)
        expires_at = time.time() + self.token_lifetime
        with self._lock:
            self._tokens[token] = expires_at
        return token, expires_at

    def token_valid(self, token: str) -> bool:
        with self._lock:
            return self._tokens.get(token, 0) > time.time()

    # --- WSGI -------------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        logged = LoggedRequest(request.method, request.path, list(request.args.items(multi=True)),
                               metered=not self.is_public(request))
        with self._lock:
            self.requests.append(logged)
        response = self._respond(request)
        logged.status = response.status_code
        logged.window, logged.metered_at, logged.account = request.environ.get(_WINDOW_KEY, (None, None, None))
        logged.seconds = time.time() - logged.at
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if self.is_public(request):
            return self._dispatch(request)
        account = self.account(request)
        with self._lock:
            window = self._window_of(account)
            allowed, remaining, reset = window.take()
            request.environ[_WINDOW_KEY] = (window.opened, time.time(), account)
            if not allowed:
                self.over_quota += 1
        headers = self._quota_headers(window, remaining, reset)
        if not allowed:
            return self.error(429, "Rate limit exceeded", {"Retry-After": str(max(1, math.ceil(reset))), **headers})
        if self._held():
            self.holding.set()
            self._released.wait(timeout=120)
        fault = self._next_fault()
        if fault is Fault.EXPIRE_TOKENS:
            self.expire_tokens()
        denied = self.authenticate(request)
        if denied is not None:
            return denied
        if fault is Fault.SERVER_ERROR:
            return self.error(503, "Service temporarily unavailable", headers)
        if fault is Fault.SLOW:
            time.sleep(self.slow_seconds)
        if fault is Fault.MALFORMED:
            return Response('{"truncated": [1, 2', status=200, headers=headers, content_type="application/json")
        response = self._dispatch(request)
        response.headers.update(headers)
        return response

    def _window_of(self, account: str | None) -> Window:
        """The account's quota window (the caller holds the lock); another account's has the first's limits."""
        if account is None:
            return self.window
        window = self._windows.get(account)
        if window is None:
            window = self._windows[account] = Window(self.window.limit, self.window.seconds)
        return window

    def _quota_headers(self, window: Window, remaining: int, reset: float) -> dict[str, str]:
        if not self.sends_quota_headers:
            return {}
        return {self.quota_headers.limit: str(window.limit), self.quota_headers.remaining: str(remaining),
                self.quota_headers.reset: str(math.ceil(reset))}

    def _dispatch(self, request: Request) -> Response:
        try:
            return self.route(request)
        except HTTPException as exc:
            return self.error(exc.code or 500, exc.description or exc.name)

    def _held(self) -> bool:
        with self._lock:
            if self._hold_after is None:
                return False
            if self._hold_after > 0:
                self._hold_after -= 1
                return False
            self._hold_after = None
            return True

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    # --- for subclasses ---------------------------------------------------------------------------

    def is_public(self, request: Request) -> bool:
        """Requests outside auth and quota (a token endpoint, say)."""
        return False

    def account(self, request: Request) -> str | None:
        """Which account's quota a request counts against, from its credentials: None for the first account
        (and for credentials no account holds, which `authenticate` then refuses)."""
        return None

    @abstractmethod
    def authenticate(self, request: Request) -> Response | None:
        """None when the request's credentials are good; otherwise the vendor's refusal."""

    @abstractmethod
    def route(self, request: Request) -> Response:
        """Serve the vendor's endpoints."""

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return self.json({"error": message}, status, headers)

    @staticmethod
    def json(body: Any, status: int = 200, headers: dict[str, str] | None = None,
             content_type: str = "application/json") -> Response:
        return Response(json.dumps(body, default=str), status=status, headers=headers or {},
                        content_type=content_type)


def deliver_webhook(url: str, body: bytes, headers: dict[str, str], timeout: float = 10) -> int:
    """POST a signed delivery to the app, as the vendor would; returns the status code it got."""
    import requests

    response = requests.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                             timeout=timeout)
    return response.status_code


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """The simulator keeps its own request log; the console stays readable."""


@contextmanager
def serve(app: Callable[..., Any], port: int = 0) -> Iterator[str]:
    """Serve a WSGI app over real HTTP on 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="simulator",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
