"""The counters and histograms the web processes keep (prometheus-client).

Under gunicorn each worker process counts for itself; with PROMETHEUS_MULTIPROC_DIR set (as `brobygger run`
does, see docs/operations.md) they write to files in that folder and a scrape of any of them adds them all
up. Labels are bounded on purpose: a route is its URL rule (never the path, which may hold a token), a
method outside the standard ones is "other", a vendor we do not know is "unknown".
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

REQUESTS = Counter("brobygger_http_requests", "HTTP requests by route (URL rule), method and status.",
                   ["route", "method", "status"])
LATENCY = Histogram("brobygger_http_request_duration_seconds", "Time from the request's first hook to its "
                    "response, by route (URL rule) and method.", ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBHOOKS = Counter("brobygger_webhooks_received", "Webhook deliveries by vendor and outcome (accepted, duplicate, "
                   "pong, ignored, refused, not_found, invalid, rate_limited, too_large, error).",
                   ["vendor", "outcome"])
RATE_LIMITED = Counter("brobygger_rate_limit_refusals", "Requests refused by a rate limit, by limit (api, "
                       "webhook, login-mail).", ["limit"])


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    route = route or UNMATCHED
    method = method if method in METHODS else "other"
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    LATENCY.labels(route=route, method=method).observe(seconds)


def webhook_received(vendor: str, outcome: str) -> None:
    WEBHOOKS.labels(vendor=vendor, outcome=outcome).inc()


def rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit=limit).inc()
