"""The Django example, the README's "### Django" section under "## Framework
integrations", run as written."""

from __future__ import annotations

import re
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings

from tgpass import sign_login_widget
from tgpass.testing import TEST_BOT_TOKEN

from .signed import USER, init_data, tma

ROOT = Path(__file__).parents[3]
# What a new Django project's settings.py already has, for the example to add to.
PROJECT = {
    "INSTALLED_APPS": [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
    ],
    "MIDDLEWARE": [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
}


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, re.DOTALL | re.MULTILINE)


def readme_section(readme: str) -> str | None:
    """The README's "### Django" under "## Framework integrations", if it has one."""
    chapter = re.split(r"^## Framework integrations[^\n]*\n", readme, flags=re.MULTILINE)
    if len(chapter) < 2:
        return None
    chapter_text = re.split(r"^## ", chapter[1], flags=re.MULTILINE)[0]
    for section in re.split(r"^### ", chapter_text, flags=re.MULTILINE)[1:]:
        title, _, text = section.partition("\n")
        if title.strip().lower() == "django":
            return text
    return None


def examples() -> list[object]:
    section = readme_section((ROOT / "README.md").read_text(encoding="utf-8"))
    assert section is not None, "the README has no Django section"
    return [pytest.param(section, id="readme")]


@pytest.fixture(params=examples())
def example_site(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[types.ModuleType]:
    """The example's settings on top of a new project's, and its urls.py as the URLconf."""
    settings_code, urls_code = python_blocks(request.param)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TEST_BOT_TOKEN)
    values: dict[str, object] = {name: list(value) for name, value in PROJECT.items()}
    exec(settings_code, values)  # noqa: S102 (our own documentation)
    urls = types.ModuleType("tgpass_django_example_urls")
    monkeypatch.setitem(sys.modules, urls.__name__, urls)
    changed = {name: value for name, value in values.items() if name.isupper()}
    with override_settings(**changed, ROOT_URLCONF=urls.__name__):
        exec(urls_code, urls.__dict__)  # noqa: S102
        yield urls


def test_the_readme_section_is_found_where_the_lead_puts_it() -> None:
    readme = (
        "# tgpass\n## Framework integrations\n### Flask\nflask\n"
        "### Django\ndjango text\n## Command line\n"
    )
    assert readme_section(readme) == "django text\n"
    assert readme_section("# tgpass\n### Django\nelsewhere\n") is None


def test_the_doc_has_the_settings_and_the_urls() -> None:
    section = readme_section((ROOT / "README.md").read_text(encoding="utf-8"))
    assert section is not None
    settings_code, urls_code = python_blocks(section)
    assert "TGPASS" in settings_code and "urlpatterns" in urls_code


def test_the_example_knows_a_mini_app_user(example_site: types.ModuleType) -> None:
    response = Client().get("/me", headers={"Authorization": tma(init_data())})
    assert response.status_code == 200
    assert response.json() == {"id": USER["id"], "user": "tg5000000001"}


def test_the_example_refuses_without_init_data(example_site: types.ModuleType) -> None:
    response = Client().get("/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_credentials"


def test_the_example_signs_in_from_the_login_widget(example_site: types.ModuleType) -> None:
    fields = sign_login_widget(USER, TEST_BOT_TOKEN, auth_date=int(time.time()))
    client = Client()
    response = client.get(f"/telegram/login?{urlencode({**fields, 'next': '/me'})}")
    assert (response.status_code, response["Location"]) == (302, "/me")
    assert "sessionid" in client.cookies
