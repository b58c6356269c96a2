"""The README's "Telegram Login tokens" example is code: taken from the README as written and
run, offline (it makes its own key and token)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    section = README.read_text(encoding="utf-8").split("## Telegram Login tokens\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


def test_the_readme_example_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    scope: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(example(), "README.md", "exec"), scope)  # noqa: S102 (our own README)
    assert capsys.readouterr().out == "wrong_nonce\n"
    assert callable(scope["sign_in"])
    keys = scope["telegram_keys"]
    asyncio.run(keys.aclose())  # type: ignore[attr-defined]
