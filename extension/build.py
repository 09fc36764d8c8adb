"""`make extension`: the browser extension as a zip for the Chrome Web Store, Edge Add-ons or a sideload,
versioned as the package it belongs to. Run from the repository root: `python extension/build.py [OUT_DIR]`."""

from __future__ import annotations

import json
import sys
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("manifest.json", "background.js", "pages.js", "content.js", "texts.js", "options.html", "options.js",
         "options.css")


def package_version() -> str:
    return tomllib.loads((HERE.parent / "pyproject.toml").read_text())["project"]["version"]


def build(out_dir: Path) -> Path:
    """The zip, with the package's version in its manifest (the unpacked folder must say the same)."""
    manifest = json.loads((HERE / "manifest.json").read_text())
    version = package_version()
    if manifest["version"] != version:
        raise SystemExit(f"extension/manifest.json says version {manifest['version']}, the package {version}: "
                         "make them the same")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"brobygger-extension-{version}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in FILES:
            archive.write(HERE / name, name)
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "dist"))
