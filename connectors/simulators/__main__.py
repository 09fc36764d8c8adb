"""Run a vendor simulator as a server (the `make run` demo does), with a control endpoint that changes a
candidate the way a recruiter in the ATS would and sends the signed webhook to the app:

    python -m connectors.simulators greenhouse --port 8351 --webhook-url URL --webhook-secret SECRET
    curl -X POST http://127.0.0.1:8351/_control/webhook -d '{"change": "reject", "candidate_id": 5}'

`change` is reject, hire or update. The answer says which event was sent and what the app replied.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from .base import QuietHandler, Simulator, deliver_webhook
from .dataset import SimCandidate, generate
from .greenhouse import GreenhouseSimulator
from .greenhouse import webhook_delivery as greenhouse_delivery
from .lever import LeverSimulator
from .teamtailor import TeamtailorSimulator

Delivery = Callable[[Simulator, str, SimCandidate], tuple[bytes, dict[str, str]]]

# For each vendor: the simulator class and, per change, the event that vendor sends for it.
EVENTS: dict[str, dict[str, str]] = {
    "greenhouse": {"reject": "reject_candidate", "hire": "hire_candidate", "update": "update_candidate"},
    "lever": {"reject": "candidateArchiveChange", "hire": "candidateHired", "update": "contactUpdated"},
    "teamtailor": {"reject": "job_application.update", "hire": "job_application.update",
                   "update": "candidate.update"},
}
SIMULATORS: dict[str, type[Simulator]] = {
    "greenhouse": GreenhouseSimulator, "lever": LeverSimulator, "teamtailor": TeamtailorSimulator}


def _sign(vendor: str, sim: Simulator, secret: str, event: str, candidate: SimCandidate) -> tuple[bytes, dict]:
    if vendor == "greenhouse":
        return greenhouse_delivery(secret, event, candidate)
    return sim.webhook_delivery(secret, event, candidate)  # type: ignore[attr-defined]


class ControlledSimulator:
    """The simulator's WSGI app plus POST /_control/webhook, which is not part of any vendor's API."""

    def __init__(self, vendor: str, sim: Simulator, webhook_url: str | None, secret: str | None) -> None:
        self.vendor, self.sim, self.webhook_url, self.secret = vendor, sim, webhook_url, secret
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.path != "/_control/webhook":
            return self.sim(environ, start_response)
        return self._control(request)(environ, start_response)

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
    args = parser.parse_args(argv)
    sim = SIMULATORS[args.vendor](generate(args.candidates, seed=args.seed), rate_limit=args.rate_limit,
                                  window_seconds=args.window)
    app = ControlledSimulator(args.vendor, sim, args.webhook_url, args.webhook_secret)
    print(f"{args.vendor} simulator on http://{args.host}:{args.port} with {args.candidates} candidates",
          file=sys.stderr)
    run_simple(args.host, args.port, app, threaded=True, request_handler=QuietHandler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
