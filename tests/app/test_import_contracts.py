"""The import contracts in pyproject.toml hold on the code, and break when a back-edge is added.

Each breaking case copies `plugin/` and `connectors/` into a temporary folder, adds one forbidden import
there (never in the committed code) and runs `lint-imports` against the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_contracts_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


BACK_EDGES = [
    # (module, code appended to it, the contract that must break)
    ("plugin/ats/webhooks.py", "\n\ndef _late() -> None:\n    from plugin.ats import jobs\n",
     "No back-edges"),
    ("plugin/followups/digest.py", "\n\nfrom plugin.extension import get_state\n", "No back-edges"),
    ("plugin/people/roles.py", "\n\nfrom plugin.people import views\n", "No back-edges"),
    ("plugin/reports/scoring.py", "\n\nfrom flask import request\n", "Services never read the request"),
    ("connectors/lever.py", "\n\nfrom plugin.models import Person\n", "connectors stand alone"),
    ("plugin/core/lookup.py", "\n\nfrom plugin.people import people\n", "core serves the features"),
    ("plugin/models/people.py", "\n\nfrom plugin.core import actors\n", "Infrastructure and the models"),
]


@pytest.mark.parametrize(("module", "code", "contract"), BACK_EDGES, ids=[edge[0] for edge in BACK_EDGES])
def test_a_back_edge_breaks_its_contract(tmp_path: Path, module: str, code: str, contract: str) -> None:
    for package in ("plugin", "connectors"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / module).open("a") as source:
        source.write(code)
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(contract in line for line in broken), result.stdout
