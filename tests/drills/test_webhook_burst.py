"""A burst of signed Greenhouse webhooks — a tenth of them repeated, one in a hundred with a bad signature —
from several concurrent clients against the app served by gunicorn over real HTTP, then drained by a
worker that fetches each candidate from the simulator."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from connectors.simulators.greenhouse import webhook_delivery
from plugin.extension import get_state
from plugin.models import WebhookDelivery
from plugin.supervisor import gunicorn_command
from tests.ats_support import connect_greenhouse
from tests.drills.support import census, expected, log_tail, n
from tests.helpers import child_env, free_port, wait_for
from tests.notify_helpers import work

pytestmark = pytest.mark.drill

SECRET = "burst-secret"
CANDIDATES = 300
CLIENTS = 8


@dataclass(frozen=True)
class Post:
    kind: str  # original, duplicate, forged
    event_id: str
    body: bytes
    headers: dict[str, str]


def burst(data: Any, total: int, seed: int = 8) -> list[Post]:
    """`total` posts: 1 % forged (a signature over other bytes), 10 % repeats of an earlier delivery
    (same body and headers, as a vendor retrying after a lost answer), the rest distinct; shuffled. A
    delivery's id is the digest of its signed body (see connectors/greenhouse.py), so each original carries
    its candidate's state as of that update."""
    rng = random.Random(seed)
    forged, repeats = total // 100, total // 10
    originals = []
    for i in range(total - forged - repeats):
        candidate = data.candidates[i % len(data.candidates)]
        revision = replace(candidate, title=f"{candidate.title} (update {i})")
        body, headers = webhook_delivery(SECRET, "update_candidate", revision, event_id=f"burst-{i}")
        originals.append(Post("original", f"sha256:{hashlib.sha256(body).hexdigest()}", body, headers))
    posts = [*originals, *(Post("duplicate", p.event_id, p.body, p.headers) for p in rng.sample(originals, repeats))]
    for i in range(forged):
        body, headers = webhook_delivery("not-the-secret", "update_candidate", data.candidates[i],
                                         event_id=f"forged-{i}")
        posts.append(Post("forged", f"forged-{i}", body, headers))
    rng.shuffle(posts)
    return posts


@contextmanager
def gunicorn(app_config: dict[str, Any], log: Path, **env: str) -> Iterator[str]:
    """The app under gunicorn with the options `brobygger run` uses; yields its URL."""
    port = free_port()
    with log.open("ab") as sink:
        server = subprocess.Popen(gunicorn_command("127.0.0.1", port), env=child_env(app_config, **env), stdout=sink,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for(lambda: requests.get(f"{url}/healthz", timeout=2).ok, 30)
        except AssertionError:
            pytest.fail(f"gunicorn did not start; its log:\n{log_tail(log)}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def send(url: str, posts: list[Post]) -> list[tuple[Post, int, str]]:
    """Post everything from CLIENTS threads, each with its own keep-alive connection."""
    local = threading.local()

    def one(post: Post) -> tuple[Post, int, str]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.post(url, data=post.body, headers=post.headers, timeout=30)
        receipt = response.json().get("status", "") if response.status_code == 200 else ""
        return post, response.status_code, receipt

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, posts))


def _drill(app: Flask, app_config: dict[str, Any], tenant: Any, tmp_path: Path, total: int) -> str:
    state = get_state(app)
    with connect_greenhouse(app, tenant.id, candidates=CANDIDATES, webhook_secret=SECRET) as gh:
        gh.sim.window.limit = 1_000_000  # the drill is about intake; the vendor's quota is another drill's
        posts = burst(gh.data, total)
        # The per-source limit stays on, raised above the burst: a vendor replaying a backlog from one address
        # would be throttled in production and retry later, which this drill does not simulate; counting 429s
        # instead would leave "stored exactly once" depending on retries nobody makes here.
        with gunicorn(app_config, tmp_path / "gunicorn.log", BROBYGGER_RATE_LIMIT_WEBHOOKS=str(2 * total)) as url:
            started = time.monotonic()
            results = send(f"{url}{gh.webhook_url}", posts)
            seconds = time.monotonic() - started
        statuses = Counter((post.kind, status) for post, status, _ in results)
        receipts = Counter(receipt for _, _, receipt in results)
        kinds = Counter(post.kind for post in posts)
        assert not [s for (_, s) in statuses if s >= 500], statuses
        assert statuses[("forged", 401)] == kinds["forged"], statuses
        assert statuses[("original", 200)] + statuses[("duplicate", 200)] == kinds["original"] + kinds["duplicate"]
        # Whichever copy of a repeated event arrives first is stored; every other copy is a duplicate.
        assert receipts == {"accepted": kinds["original"], "duplicate": kinds["duplicate"], "": kinds["forged"]}
        with state.sessions() as session:
            stored = set(session.scalars(select(WebhookDelivery.event_id)))
        assert stored == {p.event_id for p in posts if p.kind == "original"}
        queued = len(state.queue)
        assert queued == kinds["original"]

        drained = time.monotonic()
        work(app)  # one worker: each job fetches its candidate (and the vendor's reference lists) afresh
        drain_seconds = time.monotonic() - drained
        with state.sessions() as session:
            pending = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
                WebhookDelivery.processed_at.is_(None))) or 0
            errors = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
                WebhookDelivery.error.is_not(None))) or 0
            found = census(session, tenant.id, gh.installation_id)
        want = expected(gh.data)  # every candidate is named by some delivery
    assert (pending, errors) == (0, 0)
    assert found.matches(want), (found, want)
    return (f"{n(total)} webhooks from {CLIENTS} clients to gunicorn in {seconds:.1f} s "
            f"({total / seconds:,.0f}/s): {n(kinds['original'])} distinct, {n(kinds['duplicate'])} repeats, "
            f"{n(kinds['forged'])} forged; answers: {n(receipts['accepted'])} accepted, {n(receipts['duplicate'])} "
            f"duplicate (200), {n(statuses[('forged', 401)])} refused (401), 0 5xx; stored {n(len(stored))} "
            f"deliveries, none forged; {n(queued)} jobs drained by one worker in {drain_seconds:.1f} s, "
            f"every delivery processed; {found.summary()}")


@pytest.mark.slow
def test_a_burst_of_1000_webhooks(app: Flask, app_config: dict[str, Any], tenant: Any, tmp_path: Path) -> None:
    print(f"\nwebhook burst: {_drill(app, app_config, tenant, tmp_path, 1_000)}")


@pytest.mark.long_drill
def test_a_burst_of_10000_webhooks(app: Flask, app_config: dict[str, Any], tenant: Any, tmp_path: Path) -> None:
    print(f"\nwebhook burst: {_drill(app, app_config, tenant, tmp_path, 10_000)}")
