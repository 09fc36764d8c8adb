"""Brobygger as a Flask extension inside a host application, mounted under /brobygger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from plugin import Brobygger
from plugin.extension import get_state
from plugin.tenancy import tenants


def _host_app(app_config: dict[str, Any], tmp_path: Path) -> Flask:
    host = Flask("host_ats", instance_path=str(tmp_path / "host-instance"))
    host.config.update({k: v for k, v in app_config.items() if k.startswith("BROBYGGER_")})

    @host.get("/")
    def home() -> str:
        return "host home"

    @host.errorhandler(404)
    def host_not_found(_exc: Exception) -> tuple[str, int]:
        return "host 404 page", 404

    Brobygger(host, url_prefix="/brobygger")
    return host


def test_api_works_under_the_prefix(app_config: dict, tmp_path: Path, app: Flask) -> None:
    host = _host_app(app_config, tmp_path)
    state = get_state(host)
    with state.sessions() as session:
        created = tenants.create(session, state.vault, "Host tenant")
    client = host.test_client()
    headers = {"Authorization": f"Bearer {created.api_key}"}

    made = client.post("/brobygger/api/v1/people", json={"first_name": "Nora"}, headers=headers)
    assert made.status_code == 201
    listed = client.get("/brobygger/api/v1/people", headers=headers).json
    assert [p["first_name"] for p in listed["data"]] == ["Nora"]
    assert "/brobygger/api/v1/people" in client.get("/brobygger/api/v1/openapi.json").json["paths"]
    assert client.get("/brobygger/healthz").json == {"status": "ok"}
    # A blueprint with a prefix of its own keeps it under the mount point.
    assert "config" in client.get("/brobygger/partners/teamtailor/activation").json
    assert client.get("/brobygger/activation").status_code == 404
    manifest = client.get("/brobygger/manifest.json").json
    assert manifest["surfaces"]["queue"]["url"] == "http://brobygger.test/brobygger/queue"
    state.engine.dispose()


def test_host_keeps_its_own_routes_and_error_pages(app_config: dict, tmp_path: Path, app: Flask) -> None:
    host = _host_app(app_config, tmp_path)
    client = host.test_client()
    assert client.get("/").get_data(as_text=True) == "host home"
    assert client.get("/host-page-that-does-not-exist").get_data(as_text=True) == "host 404 page"
    # Errors raised by our own views keep the envelope, whatever the host does.
    response = client.get("/brobygger/api/v1/people")
    assert response.status_code == 401
    assert response.json["code"] == 401
    get_state(host).engine.dispose()


def test_cli_is_available_in_the_host(app_config: dict, tmp_path: Path, app: Flask) -> None:
    host = _host_app(app_config, tmp_path)
    result = host.test_cli_runner().invoke(args=["brobygger", "tenant", "list"])
    assert result.exit_code == 0, result.output
    get_state(host).engine.dispose()
