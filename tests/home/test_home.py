"""The landing page answers in every mode, and every link on it opens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from plugin import Brobygger, create_app
from plugin.demo import builder
from plugin.extension import get_state


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"#]+)"', html)


def _open_every_link(client: Any, start: str) -> list[str]:
    page = client.get(start)
    assert page.status_code == 200, page.get_data(as_text=True)
    links = [link for link in _links(page.get_data(as_text=True)) if not link.startswith("http")]
    assert links
    for link in links:
        answer = client.get(link, follow_redirects=True)
        # /readyz says 503 by design while no worker runs; every other link opens
        expected = (200, 503) if link.endswith("/readyz") else (200,)
        assert answer.status_code in expected, (link, answer.status_code)
    return links


@pytest.mark.parametrize("demo", [False, True])
def test_the_landing_page_and_its_links_open_with_no_data(app_config: dict[str, Any], app: Flask, demo: bool) -> None:
    standalone = create_app({**app_config, "BROBYGGER_DEMO": demo})
    links = _open_every_link(standalone.test_client(), "/")
    assert "/api/v1/openapi.json" in links and "/manifest.json" in links
    assert "/demo/sidebar" not in links  # no demo tenant to open yet
    get_state(standalone).engine.dispose()


def test_the_demos_landing_page_and_its_links_open(app_config: dict[str, Any], app: Flask) -> None:
    demo_app = create_app({**app_config, "BROBYGGER_DEMO": True})
    state = get_state(demo_app)
    with state.sessions() as session:
        builder.seed(session, state.vault)
    assert "/demo/sidebar" in _open_every_link(demo_app.test_client(), "/")
    state.engine.dispose()


def test_the_landing_page_under_a_mount_point(app_config: dict[str, Any], app: Flask, tmp_path: Path) -> None:
    host = Flask("host_ats", instance_path=str(tmp_path / "host-instance"))
    host.config.update({k: v for k, v in app_config.items() if k.startswith("BROBYGGER_")})
    Brobygger(host, url_prefix="/brobygger")
    links = _open_every_link(host.test_client(), "/brobygger/")
    assert all(link.startswith("/brobygger/") for link in links), links
    get_state(host).engine.dispose()
