"""Every framework example of the README runs as written: its "### <Framework>" sections
under "## Framework integrations".

Each example defines ``app`` and reads the bot token from ``TELEGRAM_BOT_TOKEN``; the test
runs it, then asks ``GET /me`` through the framework's own test client: signed init data
gives the user, no header a 401 with the JSON error. (Django's example has its own test,
beside its settings.)
"""

from __future__ import annotations

import re
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tgpass import sign_init_data

from .signing import BOT_A, USER

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "litestar": "Litestar",
    "aiohttp": "aiohttp",
    "flask": "Flask",
}
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(markdown: str) -> list[str]:
    return PYTHON_BLOCK.findall(markdown)


def readme_sections(markdown: str) -> Iterator[tuple[str, str]]:
    """(title, text) of each "### " section under "## Framework integrations"."""
    part = re.split(r"^## Framework integrations[^\n]*\n", markdown, flags=re.MULTILINE)
    if len(part) < 2:
        return
    chapter = re.split(r"^## ", part[1], flags=re.MULTILINE)[0]
    for section in re.split(r"^### ", chapter, flags=re.MULTILINE)[1:]:
        title, _, text = section.partition("\n")
        yield title.strip(), text


def examples() -> list[Any]:
    found = []
    readme = (ROOT / "README.md").read_text("utf-8")
    names = {title.lower(): framework for framework, title in FRAMEWORKS.items()}
    for title, text in readme_sections(readme):
        framework = names.get(title.split()[0].lower()) if title else None
        for n, block in enumerate(python_blocks(text) if framework else []):
            found.append(pytest.param(framework, block, id=f"readme-{framework}-{n}"))
    return found


def test_every_framework_has_its_example() -> None:
    assert {param.values[0] for param in examples()} >= set(FRAMEWORKS)


async def ask(framework: str, app: Any, headers: dict[str, str]) -> tuple[int, Any]:
    """GET /me through the framework's own test client: the status and the JSON body."""
    if framework in ("fastapi", "starlette"):
        from starlette.testclient import TestClient

        answer = TestClient(app).get("/me", headers=headers)
        return answer.status_code, answer.json()
    if framework == "litestar":
        from litestar.testing import AsyncTestClient

        async with AsyncTestClient(app) as client:
            answer = await client.get("/me", headers=headers)
            return answer.status_code, answer.json()
    if framework == "aiohttp":
        from aiohttp.test_utils import TestClient as AiohttpClient
        from aiohttp.test_utils import TestServer

        async with AiohttpClient(TestServer(app)) as client:
            answer = await client.get("/me", headers=headers)
            return answer.status, await answer.json()
    assert framework == "flask"
    flask_answer = app.test_client().get("/me", headers=headers)
    return flask_answer.status_code, flask_answer.json


@pytest.mark.parametrize(("framework", "code"), examples())
async def test_the_example_runs_as_written(
    framework: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_A)
    # a module of its own, as a reader's file would be (Litestar looks its hints up there)
    module = types.ModuleType(f"tgpass_example_{framework}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(code, f"<{framework} example>", "exec"), module.__dict__)  # noqa: S102 (our docs)
    app = module.app
    raw = sign_init_data({"user": USER}, BOT_A, auth_date=int(time.time()))
    status, body = await ask(framework, app, {"Authorization": f"tma {raw}"})
    assert (status, body) == (200, {"id": USER["id"], "name": "Ada Lovelace"})
    status, body = await ask(framework, app, {})
    assert status == 401
    assert body["error"]["code"] == "missing_credentials"


def test_readme_sections_are_read_only_under_their_chapter() -> None:
    markdown = (
        "# tgpass\n### FastAPI\nnot this one\n## Framework integrations\nintro\n"
        "### FastAPI\n```python\nfirst = 1\n```\n### Django\ntext\n## Speed\n### Flask\n"
    )
    sections = list(readme_sections(markdown))
    assert [title for title, _ in sections] == ["FastAPI", "Django"]
    assert python_blocks(sections[0][1]) == ["first = 1\n"]
