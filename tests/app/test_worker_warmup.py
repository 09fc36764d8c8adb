"""The worker's parent process loads what every job needs before it forks its first work horse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

CHECK = """
import sys
from plugin import create_app
from plugin.cli import _warm_up_for_work_horses
from plugin.models import Base

with create_app({"BROBYGGER_DATABASE_URL": "sqlite://", "INSTANCE_PATH": sys.argv[1]}).app_context():
    assert "connectors.greenhouse" not in sys.modules and "plugin.ats.jobs" not in sys.modules
    _warm_up_for_work_horses()
missing = [m for m in ("connectors.greenhouse", "connectors.lever", "connectors.teamtailor", "connectors.ashby",
                       "connectors.kombo", "plugin.ats.jobs",
                       "plugin.followups.jobs", "plugin.privacy.jobs", "plugin.health.jobs", "plugin.cron")
           if m not in sys.modules]
unconfigured = [m.class_.__name__ for m in Base.registry.mappers if not m.configured]
print(missing, unconfigured)
"""


def test_worker_warm_up_imports_the_jobs_and_configures_the_mappers(tmp_path: Path) -> None:
    # A fresh interpreter: this test process has imported everything already.
    result = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] []"
