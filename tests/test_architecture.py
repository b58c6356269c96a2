"""ARCHITECTURE.md is a map of the tree: every module and package it names exists, and every
package of tgpass is on it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tgpass"
MAP = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def named_paths() -> set[str]:
    """Paths the map names: ``web/deps.py``, ``service/uow.py``, ``store/sql/``…"""
    return set(re.findall(r"(?<![\w/])((?:[a-z_]+/)+(?:[a-z_]+\.py)?)", MAP))


def exists(path: str) -> bool:
    """From the package, the use cases or the root; a bare ``sql/`` in a package's line."""
    if any((base / path).exists() for base in (PACKAGE, PACKAGE / "service", ROOT)):
        return True
    return path.count("/") == 1 and any(PACKAGE.rglob(path.rstrip("/")))


def test_every_path_the_map_names_exists() -> None:
    missing = sorted(p for p in named_paths() if not exists(p))
    assert missing == []


def test_every_package_is_on_the_map() -> None:
    packages = {
        str(init.parent.relative_to(PACKAGE)) + "/"
        for init in PACKAGE.rglob("__init__.py")
        if "migrations" not in init.parts and init.parent != PACKAGE
    }
    top_and_service = {p for p in packages if p.count("/") == 1 or p.startswith("service/")}
    unnamed = sorted(p for p in top_and_service if p.split("/")[-2] + "/" not in MAP)
    assert unnamed == []
