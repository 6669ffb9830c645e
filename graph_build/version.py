"""The one version string of the project, read from pyproject.toml."""
from __future__ import annotations

import re
from pathlib import Path

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _read_version() -> str:
    try:
        text = _PYPROJECT.read_text(encoding="utf-8")
    except OSError:  # installed without the source tree
        from importlib.metadata import version

        return version("allkg")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise RuntimeError(f"{_PYPROJECT}: no version = \"...\" line")
    return match.group(1)


__version__ = _read_version()
