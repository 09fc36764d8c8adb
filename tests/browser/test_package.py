"""`make extension`: a zip whose manifest is a valid Manifest V3 one, versioned as the package, asking for exactly
the permissions README lists, with no remote code; and the extension's page table, its manifest and the
server's page kinds (plugin/browser/pages.py) in step."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import zipfile

from plugin.browser import pages
from tests.helpers import ROOT

EXTENSION = ROOT / "extension"


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("### Permissions", 1)[1].split("\n## ", 1)[0]


def _built() -> tuple[dict, set[str]]:
    done = subprocess.run(["make", "-s", "extension", f"PYTHON={sys.executable}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with zipfile.ZipFile(ROOT / "dist" / f"brobygger-extension-{version}.zip") as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    return manifest, names


def test_the_zip_holds_a_valid_manifest_v3_with_the_packages_version() -> None:
    manifest, names = _built()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert manifest["manifest_version"] == 3
    assert manifest["name"] == "Brobygger" and manifest["version"] == version
    assert json.loads((EXTENSION / "manifest.json").read_text())["version"] == version  # unpacked says the same
    assert 0 < len(manifest["description"]) <= 132  # the stores' limit
    assert manifest["background"] == {"service_worker": "background.js", "type": "module"}
    referenced = {manifest["background"]["service_worker"], manifest["options_ui"]["page"],
                  *(f for script in manifest["content_scripts"] for f in script["js"])}
    assert referenced <= names
    for page in (n for n in names if n.endswith(".html")):  # every script and style they load is in the zip
        html = (EXTENSION / page).read_text()
        assert set(re.findall(r'(?:src|href)="([^"]+)"', html)) <= names


def test_permissions_are_exactly_those_readme_lists() -> None:
    manifest, _names = _built()
    listed = re.findall(r"^- `([^`]+)`", _readme_section(), re.M)
    sites = [item for item in listed if "://" in item]
    assert manifest["permissions"] == [item for item in listed if "://" not in item] == ["storage"]
    assert "host_permissions" not in manifest and "optional_host_permissions" not in manifest
    assert [m for script in manifest["content_scripts"] for m in script["matches"]] == sites


def test_no_remote_code_and_a_strict_policy() -> None:
    manifest, names = _built()
    policy = manifest["content_security_policy"]["extension_pages"]
    assert "script-src 'self';" in policy and "object-src 'none'" in policy
    assert not re.search(r"unsafe-(eval|inline)|wasm", policy)
    for name in (n for n in names if n.endswith(".js")):
        code = (EXTENSION / name).read_text()
        assert not re.search(r"\beval\(|new Function\(|importScripts\(|import\(\s*['\"]http", code), name
        assert not re.search(r"""\b(?:import|from)\s+['"]https?:""", code), name


def test_the_page_tables_agree() -> None:
    manifest, _names = _built()
    script = (EXTENSION / "pages.js").read_text()
    assert re.findall(r'kind: "(\w+)"', script) == list(pages.KINDS)
    sites = {m.removesuffix("/*") for s in manifest["content_scripts"] for m in s["matches"]}
    assert sites == {origin for kind in pages.KINDS.values() for origin in kind.frame_origins}
