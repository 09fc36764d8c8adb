"""The wheel carries what the brief keeps at the top level, so an installed copy finds it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once for the module's tests."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(dist), str(ROOT)], check=True, timeout=300)
    return next(dist.glob("brobygger-*.whl"))


def test_wheel_contains_templates_manifest_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "plugin/templates/brobygger/base.html" in names
    assert "plugin/manifest.yaml" in names
    assert any(n.startswith("plugin/migrations/versions/0001") for n in names)
    assert "connectors/__init__.py" in names
    assert "plugin/translations/nb/LC_MESSAGES/brobygger.mo" in names  # compiled Norwegian: an install speaks it
    assert not any(n.startswith("tests/") for n in names)


def test_installed_copy_finds_its_resources(wheel: Path, tmp_path: Path) -> None:
    """Install the wheel into a bare target folder and resolve the resources from there."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(tmp_path / "site"), str(wheel)], check=True, timeout=300)
    code = ("from plugin.resources import resource_path; "
            "print(resource_path('templates')); print(resource_path('manifest.yaml'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}).stdout.split()
    assert out == [str(tmp_path / "site" / "plugin" / "templates"), str(tmp_path / "site" / "plugin" / "manifest.yaml")]
