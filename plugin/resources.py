"""Where the files the brief keeps at the top level (templates/, manifest.yaml) are found.

In a source checkout they sit beside the `plugin` package; the wheel copies them into it
(pyproject.toml, force-include). Looking in the package first makes an installed copy never read
a stray folder of the current directory.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} is neither inside the plugin package nor beside it")


STATIC = _PACKAGE / "static"  # the pages' own CSS and JavaScript, always inside the package
