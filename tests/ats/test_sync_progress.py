"""`brobygger sync` shows how far it has come: "n of total candidates" when the ATS says how many there are
(Teamtailor's meta.record-count), counts under a spinner when it does not (Greenhouse); and it ends with a
sentence saying what it did. Real simulators over HTTP, the real command."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask

from connectors.simulators.base import serve
from connectors.simulators.dataset import generate
from plugin.ats import installations
from plugin.ats.cli import SyncProgress, summary
from plugin.ats.sync import Counts, Step
from plugin.extension import get_state
from tests.ats_support import connect_greenhouse
from tests.kits import TEAMTAILOR


def test_teamtailor_says_how_many_candidates_and_the_bar_counts_to_them(runner: Any, app: Flask,
                                                                        tenant: Any) -> None:
    data = generate(45, seed=3)  # two pages of Teamtailor's 30
    sim = TEAMTAILOR.simulator(data)
    state = get_state(app)
    with serve(sim) as url, state.sessions() as session:
        installation = installations.add(session, state.vault, tenant.id, vendor="teamtailor",
                                         base_url=f"{url}{TEAMTAILOR.api_path}",
                                         credentials=TEAMTAILOR.credentials(sim, url), webhook_secret="s",
                                         name="Teamtailor")
        result = runner.invoke(args=["brobygger", "sync", "--installation", str(installation.id), "--full"])
        assert result.exit_code == 0, result.output
        again = runner.invoke(args=["brobygger", "sync", "--installation", str(installation.id)])
    total = len(data.candidates)
    progress = result.stderr.splitlines()
    assert progress[0].startswith("Syncing candidates: [") and f" of {total} candidates; " in progress[0]
    assert progress[-1].startswith(f"Syncing candidates: [{'#' * 20}] {total} of {total} candidates; ")
    assert f"{total} new people" in progress[-1]
    assert re.fullmatch(rf"Synced Teamtailor in \d+\.\d s: read \d+ records; {total} people created, "
                        r"0 people updated, \d+ applications?, \d+ touchpoints?(, | and )\d+ referrals?\.",
                        result.stdout.strip()), result.stdout
    assert again.exit_code == 0, again.output
    assert re.fullmatch(r"Synced Teamtailor in \d+\.\d s: (read \d+ records?; .*|nothing has changed since the "
                        r"last sync\.)", again.stdout.strip()), again.stdout


def test_greenhouse_gives_no_total_so_a_spinner_counts(runner: Any, app: Flask, tenant: Any) -> None:
    with connect_greenhouse(app, tenant.id, candidates=12) as gh:
        result = runner.invoke(args=["brobygger", "sync", "--installation", str(gh.installation_id), "--full"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("Syncing ") for line in lines), lines
    assert " of " not in result.stderr and "[" not in result.stderr
    assert re.match(r"Syncing candidates: [|/\\-] \d+ candidates?; \d+ records? read, \d+ new (person|people), "
                    r"\d+ updated$", lines[0]), lines[0]
    assert lines[-1].startswith("Syncing applications: ") and "12 new people" in lines[-1]
    assert result.stdout.startswith("Synced Greenhouse in ") and "12 people created" in result.stdout


def _step(candidates: int, total: int | None, **counts: int) -> Step:
    return Step("candidates", candidates, total, Counts(**counts))


def test_on_a_terminal_one_line_is_redrawn_in_place() -> None:
    out = io.StringIO()
    progress = SyncProgress(out, interactive=True)
    progress(_step(30, 45, records=60, people_created=30))
    progress(_step(45, 45, records=90, people_created=45))
    progress.close()
    assert out.getvalue() == (
        "\rSyncing candidates: [#############.......] 30 of 45 candidates; 60 records read, 30 new people, 0 updated"
        "\rSyncing candidates: [####################] 45 of 45 candidates; 90 records read, 45 new people, 0 updated"
        "\n")


def test_in_a_log_a_line_at_most_every_few_seconds_and_the_last_one_at_the_end() -> None:
    out, now = io.StringIO(), [0.0]
    progress = SyncProgress(out, interactive=False, every=5, clock=lambda: now[0])
    for second, candidates in ((0, 1), (1, 2), (2, 3), (6, 4), (7, 5)):
        now[0] = second
        progress(_step(candidates, None, records=candidates))
    progress.close()
    assert [line.split(";")[0] for line in out.getvalue().splitlines()] == [
        "Syncing candidates: | 1 candidate", "Syncing candidates: \\ 4 candidates",
        "Syncing candidates: | 5 candidates"]


def test_more_candidates_than_announced_count_on_without_a_bar() -> None:
    """An incremental Teamtailor read adds candidates whose applications changed: past the total, it counts."""
    line = SyncProgress(io.StringIO(), interactive=False).line(_step(31, 30, records=62, people_updated=31))
    assert line == "Syncing candidates: | 31 candidates; 62 records read, 0 new people, 31 updated"


def test_the_summary_is_a_sentence() -> None:
    one = Counts(records=3, people_created=1, applications=1, touchpoints=1, referrals=0, erased_skipped=1)
    assert summary(one, "Greenhouse EU", 2.345, full=True) == (
        "Synced Greenhouse EU in 2.3 s: read 3 records; 1 person created, 0 people updated, 1 application, "
        "1 touchpoint and 0 referrals. 1 candidate was skipped: they are erased people here and are never "
        "imported again.")
    assert summary(Counts(), "Lever", 0.04, full=False) == (
        "Synced Lever in 0.0 s: nothing has changed since the last sync.")
    assert summary(Counts(), "Lever", 0.04, full=True) == "Synced Lever in 0.0 s: the ATS has no candidates."
