"""The README's quick start tells the walk the demo's welcome offers (and ``--check`` walks:
tests/cli/test_demo.py)."""

from __future__ import annotations

import re
from pathlib import Path

from tgpass.demo import WALK

README = Path(__file__).resolve().parents[2] / "README.md"


def plain(text: str) -> str:
    """Without the markup that differs between Markdown and a terminal."""
    return " ".join(re.sub(r'[*`"]', "", text).split())


def quick_start_steps() -> list[str]:
    section = README.read_text("utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^\d+\. (.+?)(?=^\d+\. |^$)", section, flags=re.M | re.S)
    return [plain(step) for step in steps]


def test_the_readme_tells_the_welcome_s_walk() -> None:
    assert quick_start_steps() == [plain(step) for step in WALK]
