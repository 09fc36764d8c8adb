"""Settings and the manifest are checked at start-up: a broken one stops the app with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from plugin import create_app
from plugin.config import ConfigError
from plugin.resources import resource_path
from plugin.security import Vault


def test_production_requires_real_secrets(app_config: dict) -> None:
    config = {**app_config, "BROBYGGER_ENV": "production", "BROBYGGER_SECRET_KEY": ""}
    with pytest.raises(ConfigError, match="BROBYGGER_SECRET_KEY"):
        create_app(config)


def test_bad_values_name_the_setting(app_config: dict) -> None:
    with pytest.raises(ConfigError, match="BROBYGGER_DEMO"):
        create_app({**app_config, "BROBYGGER_DEMO": "perhaps"})
    with pytest.raises(ConfigError, match="API_PAGE_SIZE"):
        create_app({**app_config, "BROBYGGER_API_PAGE_SIZE": 0})
    with pytest.raises(ConfigError, match="Fernet"):
        create_app({**app_config, "BROBYGGER_ENCRYPTION_KEYS": "short"})


def test_environment_then_mapping(app_config: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROBYGGER_API_PAGE_SIZE", "17")
    config = {k: v for k, v in app_config.items() if k != "BROBYGGER_API_PAGE_SIZE"}
    assert create_app(config).config["BROBYGGER_API_PAGE_SIZE"] == 17
    assert create_app({**config, "BROBYGGER_API_PAGE_SIZE": 9}).config["BROBYGGER_API_PAGE_SIZE"] == 9


def test_development_secrets_are_generated_once(app_config: dict, tmp_path: Path) -> None:
    config = {**app_config, "BROBYGGER_SECRET_KEY": "", "BROBYGGER_ENCRYPTION_KEYS": "",
              "INSTANCE_PATH": str(tmp_path / "dev")}
    first, second = create_app(dict(config)), create_app(dict(config))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["BROBYGGER_ENCRYPTION_KEYS"] == second.config["BROBYGGER_ENCRYPTION_KEYS"]
    assert (tmp_path / "dev" / "secret_key").stat().st_mode & 0o077 == 0


def test_key_rotation_keeps_old_secrets_readable() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Vault([old]).encrypt("client-secret")
    rotated = Vault([new, old])
    assert rotated.decrypt(token) == "client-secret"
    assert Vault([new]).decrypt(rotated.rotate(token)) == "client-secret"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Vault([new]).decrypt(token)


def _manifest_with(tmp_path: Path, change: Any) -> str:
    data = yaml.safe_load(resource_path("manifest.yaml").read_text())
    change(data)
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_broken_manifest_stops_the_app(app_config: dict, tmp_path: Path) -> None:
    path = _manifest_with(tmp_path, lambda d: d["webhooks"].pop("lever"))
    with pytest.raises(ConfigError, match="webhooks: no entry for lever"):
        create_app({**app_config, "BROBYGGER_MANIFEST_PATH": path})
    path = _manifest_with(tmp_path, lambda d: d["surfaces"]["queue"].update(url="http://elsewhere/queue"))
    with pytest.raises(ConfigError, match=r"surfaces\.queue\.url"):
        create_app({**app_config, "BROBYGGER_MANIFEST_PATH": path})
    path = _manifest_with(tmp_path, lambda d: d.update(version="9.9.9"))
    with pytest.raises(ConfigError, match="does not match the package"):
        create_app({**app_config, "BROBYGGER_MANIFEST_PATH": path})
    (tmp_path / "bad.yaml").write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="cannot be read"):
        create_app({**app_config, "BROBYGGER_MANIFEST_PATH": str(tmp_path / "bad.yaml")})


def test_manifest_is_served_with_urls_filled_in(client: Any) -> None:
    manifest = client.get("/manifest.json").json
    assert manifest["name"] == "Brobygger"
    assert manifest["surfaces"]["sidebar"]["url"] == "http://brobygger.test/sidebar/launch?jwt={jwt}"
    assert manifest["webhooks"]["greenhouse"]["url"] == "http://brobygger.test/webhooks/greenhouse/{installation_id}"
    vendors = {"greenhouse", "lever", "teamtailor", "ashby", "kombo"}
    assert set(manifest["permissions"]) == set(manifest["webhooks"]) == vendors
    assert {s["key"] for s in manifest["settings"]} >= {"base_url", "webhook_secret"}


def test_readme_documents_every_setting() -> None:
    from plugin.config import SETTINGS
    from tests.helpers import ROOT

    readme = (ROOT / "README.md").read_text()
    for setting in SETTINGS:
        assert f"| `BROBYGGER_{setting.name}` |" in readme, setting.name
