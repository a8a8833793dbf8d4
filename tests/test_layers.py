"""The layers of docs/architecture.md, checked on the source: which package may import which."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each package may import of the others (web/ is the composition root: anything).
ALLOWED: dict[str, set[str]] = {
    "board": set(),
    "platforms": set(),
    "fetching": set(),
    "media": {"board"},
    "ingest": {"board", "fetching"},
    "drafting": {"board"},
    "ws": {"board"},
    "poster": {"board", "media", "platforms", "fetching"},
    "migrations": {"board"},
    # Alerts read the board's rows, send webhooks through fetching/'s guard and reuse the
    # telegram column's session.
    "alerts": {"board", "fetching", "platforms"},
    "web": {
        "alerts",
        "board",
        "media",
        "platforms",
        "poster",
        "ws",
        "ingest",
        "drafting",
        "migrations",
        "fetching",
    },
}


def imports(package: str) -> dict[str, set[str]]:
    """Each of the project's packages a package imports, and the files that do."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in ALLOWED and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    """board/ imports nothing from platforms, poster, ws or web; adapters know no board; …"""
    wrong = {
        other: files for other, files in imports(package).items() if other not in ALLOWED[package]
    }
    assert not wrong, f"{package}/ must not import {sorted(wrong)}: {wrong}"


def test_every_package_has_a_layer() -> None:
    """A new top-level package gets a line in ALLOWED (and in docs/architecture.md)."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == set(ALLOWED)
