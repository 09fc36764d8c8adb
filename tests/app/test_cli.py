"""The `brobygger` command line: output, JSON mode, and one-line failures with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

from tests.helpers import brobygger, child_env


def _run(app_config: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(brobygger(*args), env=child_env(app_config), capture_output=True, text=True, timeout=60)


def test_tenant_create_json_then_use_the_key(runner: Any, client: Any) -> None:
    result = runner.invoke(args=["brobygger", "tenant", "create", "--name", "Nordlys AS", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"tenant_id", "name", "api_key", "sidebar_secret"}
    uuid.UUID(out["tenant_id"])
    response = client.get("/api/v1/people", headers={"Authorization": f"Bearer {out['api_key']}"})
    assert response.status_code == 200

    listed = json.loads(runner.invoke(args=["brobygger", "tenant", "list", "--json"]).output)
    assert [t["name"] for t in listed] == ["Nordlys AS"]


def test_apikey_and_recruiter_commands(runner: Any, client: Any, tenant: Any) -> None:
    key = json.loads(runner.invoke(args=["brobygger", "apikey", "create", "--tenant", str(tenant.id),
                                         "--scope", "read", "--json"]).output)["api_key"]
    assert client.get("/api/v1/people", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    result = runner.invoke(args=["brobygger", "recruiter", "add", "--tenant", str(tenant.id), "--email",
                                 "Kari@Fjordlys.no", "--name", "Kari Nordmann", "--language", "en", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["email"] == "kari@fjordlys.no"
    recruiters = tenant.get("/recruiters").json["data"]
    assert [(r["email"], r["language"]) for r in recruiters] == [("kari@fjordlys.no", "en")]


def test_every_command_has_help(runner: Any) -> None:
    for args in (["--help"], ["tenant", "create", "--help"], ["tenant", "list", "--help"],
                 ["apikey", "create", "--help"], ["recruiter", "add", "--help"], ["db", "upgrade", "--help"],
                 ["seed-demo", "--help"], ["run", "--help"], ["worker", "--help"], ["cron", "--help"]):
        result = runner.invoke(args=["brobygger", *args])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output


def test_failures_are_one_readable_line(app_config: dict, tenant: Any) -> None:
    cases = [
        (["apikey", "create", "--tenant", "not-an-id"], "not an id"),
        (["apikey", "create", "--tenant", str(uuid.uuid4())], "No tenant"),
        (["recruiter", "add", "--tenant", str(tenant.id), "--email", "bad", "--name", "X"], "--email"),
        (["recruiter", "add", "--tenant", str(tenant.id), "--email", "a@b.no", "--name", "X", "--time-zone",
          "Mars/Olympus"], "--time-zone"),
        (["tenant", "create"], "--name"),
        (["no-such-command"], "No such command"),
    ]
    for args, expected in cases:
        result = _run(app_config, *args)
        assert result.returncode != 0, args
        assert result.stdout == "", args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("brobygger: error:") and expected in lines[0], (args, lines)


def test_duplicate_recruiter_is_one_line(app_config: dict, tenant: Any) -> None:
    args = ["recruiter", "add", "--tenant", str(tenant.id), "--email", "a@b.no", "--name", "A"]
    assert _run(app_config, *args).returncode == 0
    second = _run(app_config, *args)
    assert second.returncode == 1
    assert second.stderr.strip() == "brobygger: error: A recruiter with this e-mail address exists already."


def test_broken_configuration_is_one_line(app_config: dict) -> None:
    config = {**app_config, "BROBYGGER_API_PAGE_SIZE": "lots"}
    result = _run(config, "tenant", "list")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "BROBYGGER_API_PAGE_SIZE" in result.stderr
