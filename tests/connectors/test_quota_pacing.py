"""The HTTP client's pacing under a vendor's quota headers, and the simulator's benchmark controls: a spent window
is waited out to its end as tightly as the headers bound it, never past it and never before it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from connectors.greenhouse import GreenhouseConnector
from connectors.http import HttpClient, RateLimitHeaders
from connectors.simulators.__main__ import ControlledSimulator
from connectors.simulators.base import serve
from connectors.simulators.dataset import generate
from connectors.simulators.greenhouse import CLIENT_ID, CLIENT_SECRET, GreenhouseSimulator

HEADERS = RateLimitHeaders("X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Limit")


class _Scripted:
    """Answers 200 with the next scripted (remaining, reset) quota headers."""

    def __init__(self, script: list[tuple[int, str]]) -> None:
        self.script = list(script)

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> list[bytes]:
        remaining, reset = self.script.pop(0)
        start_response("200 OK", [("Content-Type", "application/json"), ("X-RateLimit-Remaining", str(remaining)),
                                  ("X-RateLimit-Reset", reset)])
        return [b"{}"]


@pytest.fixture
def scripted() -> Iterator[Callable[[list[tuple[int, str]]], tuple[HttpClient, list[float]]]]:
    servers = []

    def start(script: list[tuple[int, str]]) -> tuple[HttpClient, list[float]]:
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            time.sleep(seconds)

        context = serve(_Scripted(script))
        servers.append(context)
        url = context.__enter__()
        return HttpClient(url, rate_limit=HEADERS, sleep=sleep), waits

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def test_a_spent_window_is_waited_out_to_the_tightest_reset_seen(scripted: Any) -> None:
    """Whole-second resets overstate: an earlier answer in the same window said it ends within a second."""
    client, waits = scripted([(2, "1"), (0, "3"), (9, "3")])
    for _ in range(3):
        client.get_json("x")
    assert len(waits) == 1 and 0.5 < waits[0] <= 1.0  # not the 3 s the last answer alone would mean


def test_a_renewed_quota_forgets_the_old_windows_end(scripted: Any) -> None:
    client, waits = scripted([(1, "1"), (0, "1"), (9, "2"), (0, "2"), (9, "2")])
    for _ in range(5):
        client.get_json("x")
    assert len(waits) == 2 and waits[0] <= 1.0 and 1.5 < waits[1] <= 2.0  # the new window's own end


def test_no_pause_while_quota_remains(scripted: Any) -> None:
    client, waits = scripted([(3, "2"), (2, "2"), (1, "2")])
    for _ in range(3):
        client.get_json("x")
    assert waits == []


def test_a_read_across_many_windows_is_never_refused() -> None:
    """Against the simulator's fixed window: the client resumes no earlier than the window ends."""
    data = generate(40, seed=3)
    sim = GreenhouseSimulator(data, rate_limit=6, window_seconds=0.5)
    with serve(sim) as url:
        connector = GreenhouseConnector(f"{url}/v3", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                      "token_url": f"{url}/token"})
        connector.page_size = 2
        started = time.monotonic()
        ids = [c.ats_id for page in connector.read("candidates", None) for c in page]
        elapsed = time.monotonic() - started
    assert sorted(ids, key=int) == [str(c.id) for c in data.candidates]
    assert sim.over_quota == 0 and connector.http.stats["rate_limited"] == 0
    assert elapsed >= 3 * 0.5  # 20 pages at 6 per window: at least three windows waited out
    assert connector.http.stats["throttled"] >= 3


def test_the_control_endpoints_touch_candidates_and_sum_up_the_request_log() -> None:
    data = generate(30, seed=3)
    sim = GreenhouseSimulator(data, rate_limit=100, window_seconds=10)
    with serve(ControlledSimulator("greenhouse", sim, None, None)) as url:
        touched = requests.post(f"{url}/_control/touch", json={"count": 5, "seed": 1}, timeout=10).json()
        connector = GreenhouseConnector(f"{url}/v3", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                      "token_url": f"{url}/token"})
        since = data.now
        changed = [c.ats_id for page in connector.read("candidates", since) for c in page]
        summary = requests.get(f"{url}/_control/requests", timeout=10).json()
        refused = requests.post(f"{url}/_control/touch", json={"count": 0}, timeout=10)
        unknown = requests.get(f"{url}/_control/nothing", timeout=10)
        backdated = requests.post(f"{url}/_control/touch", timeout=10, data=json.dumps(
            {"candidate_ids": touched["candidate_ids"], "at": "2020-01-01T00:00:00+00:00"})).json()
        after_backdating = [c.ats_id for page in connector.read("candidates", since) for c in page]
        requests.post(f"{url}/_control/requests/clear", timeout=10).raise_for_status()
        cleared = requests.get(f"{url}/_control/requests", timeout=10).json()
    assert touched["touched"] == 5 and sorted(map(int, changed)) == touched["candidate_ids"]
    assert summary["requests"] == 2 and summary["statuses"] == {"200": 2} and summary["failed"] == 0
    assert summary["paths"] == {"/token": 1, "/v3/candidates": 1} and len(summary["metered_ok_at"]) == 1
    assert refused.status_code == 400 and "count" in refused.json()["error"]
    assert unknown.status_code == 404 and "/_control/touch" in unknown.json()["error"]
    assert backdated["touched"] == 5 and after_backdating == []
    assert cleared["requests"] == 0 and cleared["first_at"] is None


def test_cursor_pages_of_a_filtered_list_match_a_scan_of_the_dataset() -> None:
    """The simulator renders only what a page reaches; the pages still hold exactly the matching rows."""
    data = generate(120, seed=5)
    sim = GreenhouseSimulator(data, rate_limit=1000, window_seconds=10)
    data.candidates[7].deleted = True
    since = sorted(c.updated_at for c in data.candidates)[60]
    with serve(sim) as url:
        connector = GreenhouseConnector(f"{url}/v3", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                      "token_url": f"{url}/token"})
        connector.page_size = 7
        candidates = [c.ats_id for page in connector.read("candidates", since) for c in page]
        applications = [a.ats_id for page in connector.read("applications", since) for a in page]
    live = [c for c in data.candidates if not c.deleted]
    assert candidates == [str(c.id) for c in reversed(live) if c.updated_at >= since]  # whole seconds here
    assert sorted(map(int, applications), reverse=True) == list(map(int, applications))
    assert set(applications) == {str(a.id) for c in live for a in c.applications if a.updated_at >= since}
