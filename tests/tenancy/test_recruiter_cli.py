"""`brobygger recruiter list|update`: a readable table, changes that reach the database, and every failure as
one line on stderr with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

from flask import Flask

from plugin.extension import get_state
from plugin.models import Recruiter
from tests.helpers import brobygger, child_env
from tests.pages import make_recruiter


def _run(app_config: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(brobygger(*args), env=child_env(app_config), capture_output=True, text=True, timeout=60)


def _row(app: Flask, email: str) -> Recruiter:
    with get_state(app).sessions() as session:
        found = session.query(Recruiter).filter_by(email=email).one()
        session.expunge(found)
        return found


def test_list_is_a_table_per_tenant_or_of_everyone(runner: Any, tenant: Any, make_tenant: Any) -> None:
    make_recruiter(tenant, email="kari@acme.no", name="Kari Nordmann", language="nb", is_admin=True)
    make_recruiter(tenant, email="ane@acme.no", name="Ane Berg", time_zone="America/New_York")
    rival = make_tenant("Rival AS")
    make_recruiter(rival, email="rolf@rival.no", name="Rolf Rival")

    result = runner.invoke(args=["brobygger", "recruiter", "list", "--tenant", str(tenant.id)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "email         name           language  time zone         admin  active",
        "ane@acme.no   Ane Berg       en        America/New_York  no     yes",
        "kari@acme.no  Kari Nordmann  nb        Europe/Oslo       yes    yes",
    ]
    everyone = runner.invoke(args=["brobygger", "recruiter", "list"]).output.splitlines()
    assert everyone[0].split() == ["tenant", "email", "name", "language", "time", "zone", "admin", "active"]
    assert [line.split()[:3] for line in everyone[1:]] == [["Acme", "AS", "ane@acme.no"],
                                                          ["Acme", "AS", "kari@acme.no"],
                                                          ["Rival", "AS", "rolf@rival.no"]]
    listed = json.loads(runner.invoke(args=["brobygger", "recruiter", "list", "--tenant", str(rival.id),
                                            "--json"]).output)
    assert [(r["email"], r["admin"], r["active"], r["tenant"]) for r in listed] == [
        ("rolf@rival.no", False, True, "Rival AS")]


def test_list_says_when_there_is_nobody(runner: Any, tenant: Any) -> None:
    result = runner.invoke(args=["brobygger", "recruiter", "list", "--tenant", str(tenant.id)])
    assert result.exit_code == 0 and result.output == "No recruiters yet.\n"


def test_update_changes_what_it_is_told_and_nothing_else(runner: Any, app: Flask, tenant: Any) -> None:
    make_recruiter(tenant, email="kari@acme.no", name="Kari Nordmann", language="en")
    result = runner.invoke(args=["brobygger", "recruiter", "update", "Kari@Acme.no", "--tenant", str(tenant.id),
                                 "--language", "nb", "--time-zone", "Europe/Stockholm", "--admin"])
    assert result.exit_code == 0, result.output
    assert "language   nb" in result.output and "admin      yes" in result.output
    kari = _row(app, "kari@acme.no")
    assert (kari.language, kari.time_zone, kari.is_admin, kari.active, kari.name) == (
        "nb", "Europe/Stockholm", True, True, "Kari Nordmann")

    result = runner.invoke(args=["brobygger", "recruiter", "update", "kari@acme.no", "--tenant", str(tenant.id),
                                 "--no-admin", "--inactive", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"email": "kari@acme.no", "name": "Kari Nordmann", "language": "nb",
                                         "time_zone": "Europe/Stockholm", "admin": False, "active": False}
    kari = _row(app, "kari@acme.no")
    assert (kari.is_admin, kari.active) == (False, False)
    assert runner.invoke(args=["brobygger", "recruiter", "update", "kari@acme.no", "--tenant", str(tenant.id),
                               "--active"]).exit_code == 0
    assert _row(app, "kari@acme.no").active is True


def test_update_failures_are_one_readable_line(app_config: dict, tenant: Any, make_tenant: Any) -> None:
    make_recruiter(tenant, email="kari@acme.no")
    rival = make_tenant("Rival AS")
    mine = str(tenant.id)
    cases = [
        (["recruiter", "update", "nobody@acme.no", "--tenant", mine, "--admin"],
         "No recruiter with the e-mail address 'nobody@acme.no' in this tenant."),
        (["recruiter", "update", "kari@acme.no", "--tenant", str(rival.id), "--admin"], "No recruiter"),
        (["recruiter", "update", "kari@acme.no", "--tenant", "acme", "--admin"], "not an id"),
        (["recruiter", "update", "kari@acme.no", "--tenant", str(uuid.uuid4()), "--admin"], "No tenant"),
        (["recruiter", "update", "kari@acme.no", "--tenant", mine, "--time-zone", "Mars/Olympus"], "--time-zone"),
        (["recruiter", "update", "kari@acme.no", "--tenant", mine, "--language", "de"], "--language"),
        (["recruiter", "update", "kari@acme.no", "--tenant", mine], "nothing to change"),
        (["recruiter", "update", "kari@acme.no", "--admin"], "--tenant"),
        (["recruiter", "list", "--tenant", str(uuid.uuid4())], "No tenant"),
    ]
    for args, expected in cases:
        result = _run(app_config, *args)
        assert result.returncode != 0, args
        assert result.stdout == "", args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("brobygger: error: ") and expected in lines[0], (args, lines)


def test_the_new_commands_have_help(runner: Any) -> None:
    for command in ("list", "update"):
        result = runner.invoke(args=["brobygger", "recruiter", command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, command
    assert "--active / --inactive" in runner.invoke(args=["brobygger", "recruiter", "update", "--help"]).output
