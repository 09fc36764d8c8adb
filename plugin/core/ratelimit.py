"""Fixed-window request counters in Redis: per API key, and per webhook source (installation + address).
Each refusal is counted by the kind of limit (the key's first part) for /metrics.

A fixed window is one INCR and one EXPIRE per request, shared by every web process; its known weakness
(up to twice the limit across a window edge) is acceptable for abuse limits. When Redis is unreachable
requests pass: the limits protect the service, and refusing everyone because Redis is down would not.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from redis import Redis
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
