"""Fixed-window request counters in Redis: per API key, and per webhook source (installation + address).
Each refusal is counted by the kind of limit (the key's first part) for /metrics.

A fixed window is one INCR and one EXPIRE per request, shared by every web process; its known weakness
(up to twice the limit across a window edge) is acceptable for abuse limits. When Redis is unreachable
requests pass: the limits protect the service, and refusing everyone because Redis is down would not.

`SpentBudgets` serves a path whose every round trip counts (webhook intake): the INCR rides on a pipeline the
request sends anyway, and the count it returns is remembered in the process, so a source that has spent its
window's budget is refused before anything is read, with no round trip at all. Each web process learns of a
spent budget from its own next request, so a window admits at most one request more per process than the limit.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError

from plugin.observability import metrics

log = logging.getLogger(__name__)
PREFIX = "brobygger:ratelimit:"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets; 0 when allowed


def hit(redis: Redis, key: str, limit: int, window: int, now: float | None = None) -> Verdict:
    """Count one request against `key`; a limit of 0 (or less) means no limit."""
    if limit <= 0 or window <= 0:
        return Verdict(True, limit, limit, 0)
    now = time.time() if now is None else now
    start = int(now // window) * window
    name = f"{PREFIX}{key}:{start}"
    try:
        pipe = redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window + 1)
        count = int(pipe.execute()[0])
    except RedisError as exc:
        log.warning("rate limit not checked (%s); request allowed", type(exc).__name__)
        return Verdict(True, limit, limit, 0)
    if count > limit:
        metrics.rate_limited(key.partition(":")[0])  # the kind of limit only: keys hold addresses
        return Verdict(False, limit, 0, max(1, math.ceil(start + window - now)))
    return Verdict(True, limit, limit - count, 0)


class SpentBudgets:
    """Which sources have spent their window's budget, as this process has learnt it (see the module's text)."""

    MAX_KEYS = 10_000  # a flood of made-up sources cannot grow this without end

    def __init__(self) -> None:
        self._until: dict[str, float] = {}  # key → the end of the window whose budget is spent

    def refused(self, key: str, limit: int, now: float | None = None) -> Verdict | None:
        """The refusal, when this process knows `key` has no requests left in this window; no round trip."""
        until = self._until.get(key)
        if until is None:
            return None
        now = time.time() if now is None else now
        if until <= now or limit <= 0:
            self._until.pop(key, None)
            return None
        metrics.rate_limited(key.partition(":")[0])
        return Verdict(False, limit, 0, max(1, math.ceil(until - now)))

    def count_on(self, pipe: Pipeline, key: str, limit: int, window: int,
                 now: float | None = None) -> Callable[[list[Any]], None]:
        """Queue this request's INCR on `pipe`; call the returned function with the pipeline's results."""
        if limit <= 0 or window <= 0:
            return lambda _results: None
        now = time.time() if now is None else now
        start = int(now // window) * window
        name = f"{PREFIX}{key}:{start}"
        position = len(pipe)
        pipe.incr(name)
        pipe.expire(name, window + 1)

        def learn(results: list[Any]) -> None:
            if int(results[position]) >= limit:
                if len(self._until) >= self.MAX_KEYS:
                    self._until.clear()
                self._until[key] = start + window
        return learn
