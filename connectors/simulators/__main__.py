"""Run a vendor simulator as a server (the `make run` demo does), with a control endpoint that changes a
candidate the way a recruiter in the ATS would and sends the signed webhook to the app:

    python -m connectors.simulators greenhouse --port 8351 --webhook-url URL --webhook-secret SECRET
    curl -X POST http://127.0.0.1:8351/_control/webhook -d '{"change": "reject", "candidate_id": 5}'

`change` is reject, hire or update. The answer says which event was sent and what the app replied.
`--accounts N` (Greenhouse) also serves N other accounts, clients `brobygger-client-1` … with secrets
`brobygger-secret-1` …: each has its own quota window over the same candidates.

Control endpoints for benchmarks and drills (no webhook is sent):

    POST /_control/touch     {"candidate_ids": [1, 2]} or {"count": 1000, "seed": 3}, optional "at" (ISO 8601):
                             edit those candidates (or `count` distinct random live ones) at `at` (default now)
    GET  /_control/requests  the request log summed up: count, statuses, requests per path, 429s, when the quota
                             was checked (Unix time) for each successful rate-limited request and, per quota
                             window (each account's apart), its opening and how many it served; how many accounts
                             were asked; the first and last rate-limited arrival; answer time of successful
                             requests (median, p95)
    POST /_control/requests/clear   empty the request log
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from connectors.simulators.ashby import AshbySimulator
from connectors.simulators.base import LoggedRequest, QuietHandler, Simulator, deliver_webhook
from connectors.simulators.dataset import SimCandidate, generate
from connectors.simulators.greenhouse import GreenhouseSimulator, account_credentials
from connectors.simulators.greenhouse import webhook_delivery as greenhouse_delivery
from connectors.simulators.kombo import KomboSimulator
from connectors.simulators.lever import LeverSimulator
from connectors.simulators.teamtailor import TeamtailorSimulator

Delivery = Callable[[Simulator, str, SimCandidate], tuple[bytes, dict[str, str]]]

# For each vendor: the simulator class and, per change, the event that vendor sends for it.
EVENTS: dict[str, dict[str, str]] = {
    "greenhouse": {"reject": "reject_candidate", "hire": "hire_candidate", "update": "update_candidate"},
    "lever": {"reject": "candidateArchiveChange", "hire": "candidateHired", "update": "contactUpdated"},
    "teamtailor": {"reject": "job_application.update", "hire": "job_application.update",
                   "update": "candidate.update"},
    "ashby": {"reject": "applicationUpdate", "hire": "candidateHire", "update": "applicationUpdate"},
    "kombo": {"reject": "data-changed", "hire": "data-changed", "update": "data-changed"},  # Kombo names no record
}
SIMULATORS: dict[str, type[Simulator]] = {
    "greenhouse": GreenhouseSimulator, "lever": LeverSimulator, "teamtailor": TeamtailorSimulator,
    "ashby": AshbySimulator, "kombo": KomboSimulator}


def _sign(vendor: str, sim: Simulator, secret: str, event: str, candidate: SimCandidate) -> tuple[bytes, dict]:
    if vendor == "greenhouse":
        return greenhouse_delivery(secret, event, candidate)
    return sim.webhook_delivery(secret, event, candidate)  # type: ignore[attr-defined]


class ControlledSimulator:
    """The simulator's WSGI app plus the /_control/ endpoints, which are not part of any vendor's API."""

    def __init__(self, vendor: str, sim: Simulator, webhook_url: str | None, secret: str | None) -> None:
        self.vendor, self.sim, self.webhook_url, self.secret = vendor, sim, webhook_url, secret
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("POST", "/_control/webhook"): self._control, ("POST", "/_control/touch"): self._touch,
            ("GET", "/_control/requests"): self._requests, ("POST", "/_control/requests/clear"): self._clear}

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if not request.path.startswith("/_control/"):
            return self.sim(environ, start_response)
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            known = ", ".join(f"{method} {path}" for method, path in self._routes)
            return _json({"error": f"no control {request.method} {request.path}; known: {known}"}, 404)(
                environ, start_response)
        return handler(request)(environ, start_response)

    def _touch(self, request: Request) -> Response:
        try:
            order = json.loads(request.get_data() or b"{}")
            at = datetime.fromisoformat(order["at"].replace("Z", "+00:00")) if "at" in order else datetime.now(UTC)
            if at.tzinfo is None:
                raise ValueError("at needs a time zone")
            with self._lock:
                ids = _chosen_candidates(self.sim, order)
                self.sim.data.touch(ids, at)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return _json({"error": f'send {{"candidate_ids": [N, ...]}} or {{"count": N, "seed": S}}, '
                                   f'optional "at": ISO 8601 with a zone ({exc})'}, 400)
        return _json({"touched": len(ids), "candidate_ids": ids, "at": at.isoformat()})

    def _requests(self, request: Request) -> Response:
        return _json(request_summary(list(self.sim.requests), self.sim.over_quota))

    def _clear(self, request: Request) -> Response:
        with self._lock:
            self.sim.requests.clear()
            self.sim.over_quota = 0
        return _json({"cleared": True})

    def _control(self, request: Request) -> Response:
        if request.method != "POST" or not self.webhook_url or not self.secret:
            return _json({"error": "POST a change; the simulator needs --webhook-url and --webhook-secret"}, 400)
        try:
            order = json.loads(request.get_data() or b"{}")
            change, candidate_id = order["change"], int(order["candidate_id"])
            event = EVENTS[self.vendor][change]
        except (ValueError, KeyError, TypeError):
            return _json({"error": 'send {"change": "reject|hire|update", "candidate_id": N}'}, 400)
        with self._lock:
            candidate = self.sim.data.candidate(candidate_id)
            if candidate is None:
                return _json({"error": f"no candidate {candidate_id}"}, 404)
            now = datetime.now(UTC)
            try:
                if change == "reject":
                    self.sim.data.reject(candidate_id, now)
                elif change == "hire":
                    self.sim.data.hire(candidate_id, now)
                else:
                    self.sim.data.touch([candidate_id], now)
            except StopIteration:
                return _json({"error": f"candidate {candidate_id} has no open application to {change}"}, 409)
            body, headers = _sign(self.vendor, self.sim, self.secret, event, candidate)
        status = deliver_webhook(self.webhook_url, body, headers)
        return _json({"sent": event, "candidate_id": candidate_id, "app_answered": status})


def _chosen_candidates(sim: Simulator, order: dict[str, Any]) -> list[int]:
    """The live candidates an order names, or `count` distinct random ones (repeatable with `seed`)."""
    if "candidate_ids" in order:
        ids = [int(i) for i in order["candidate_ids"]]
        missing = [i for i in ids if sim.data.candidate(i) is None]
        if missing:
            raise ValueError(f"no candidates {missing[:5]}")
        return ids
    live = [c.id for c in sim.data.candidates if not c.deleted]
    count = int(order["count"])
    if not 0 < count <= len(live):
        raise ValueError(f"count must be between 1 and {len(live)}")
    return sorted(random.Random(order.get("seed")).sample(live, count))


def request_summary(requests: list[LoggedRequest], over_quota: int) -> dict[str, Any]:
    """What a benchmark reads from the simulator's side: how many requests, how they were answered, when."""
    statuses: dict[str, int] = {}
    paths: dict[str, int] = {}
    for logged in requests:
        statuses[str(logged.status)] = statuses.get(str(logged.status), 0) + 1
        paths[logged.path] = paths.get(logged.path, 0) + 1
    answered = sorted(logged.seconds for logged in requests if 200 <= logged.status < 300)
    metered = [logged for logged in requests if logged.metered]
    served = [logged for logged in metered if 200 <= logged.status < 300 and logged.metered_at is not None]
    windows: dict[tuple[str, int], list[float]] = {}
    for logged in served:
        windows.setdefault((logged.account or "", logged.window or 0), []).append(logged.metered_at or 0.0)
    return {
        "requests": len(requests), "statuses": statuses, "paths": paths, "over_quota": over_quota,
        "failed": sum(1 for logged in requests if not 200 <= logged.status < 300 and logged.status != 429),
        "metered_ok_at": sorted(logged.metered_at or 0.0 for logged in served),
        "windows": [[min(arrivals), len(arrivals)] for _, arrivals in sorted(windows.items())],
        "accounts": len({logged.account for logged in metered}),
        "first_at": min((logged.at for logged in metered), default=None),
        "last_at": max((logged.at for logged in metered), default=None),
        "answer_seconds": {"median": statistics.median(answered) if answered else None,
                           "p95": answered[max(0, -(-len(answered) * 95 // 100) - 1)] if answered else None},
    }


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.simulators", description=__doc__.split("\n\n")[0])
    parser.add_argument("vendor", choices=sorted(SIMULATORS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8351)
    parser.add_argument("--candidates", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=int, default=50, help="requests per window")
    parser.add_argument("--window", type=float, default=10.0, help="window length in seconds")
    parser.add_argument("--webhook-url", help="where /_control/webhook delivers signed webhooks")
    parser.add_argument("--webhook-secret", help="the installation's webhook secret")
    parser.add_argument("--accounts", type=int, default=0,
                        help="greenhouse: other accounts served besides the default client, each with its own quota")
    args = parser.parse_args(argv)
    if args.accounts and args.vendor != "greenhouse":
        parser.error("--accounts is for the greenhouse simulator")
    extra: dict[str, Any] = {"accounts": dict(account_credentials(n) for n in range(1, args.accounts + 1))} \
        if args.accounts else {}
    sim = SIMULATORS[args.vendor](generate(args.candidates, seed=args.seed), rate_limit=args.rate_limit,
                                  window_seconds=args.window, **extra)
    app = ControlledSimulator(args.vendor, sim, args.webhook_url, args.webhook_secret)
    print(f"{args.vendor} simulator on http://{args.host}:{args.port} with {args.candidates} candidates",
          file=sys.stderr)
    run_simple(args.host, args.port, app, threaded=True, request_handler=QuietHandler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
