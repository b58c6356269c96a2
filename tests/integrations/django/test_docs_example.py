"""The Django example of docs/integrations/django.md, run as written on this test site."""

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

DOC = Path(__file__).parents[3] / "docs" / "integrations" / "django.md"
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


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture
def example_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """The example's settings on top of a new project's, and its urls.py as the URLconf."""
    settings_code, urls_code = python_blocks()
    monkeypatch.setenv("BOT_TOKEN", TEST_BOT_TOKEN)
    values: dict[str, object] = {name: list(value) for name, value in PROJECT.items()}
    exec(settings_code, values)  # noqa: S102 (our own documentation)
    urls = types.ModuleType("tgpass_django_example_urls")
    monkeypatch.setitem(sys.modules, urls.__name__, urls)
    changed = {name: value for name, value in values.items() if name.isupper()}
    with override_settings(**changed, ROOT_URLCONF=urls.__name__):
        exec(urls_code, urls.__dict__)  # noqa: S102
        yield urls


def test_the_doc_has_the_settings_and_the_urls() -> None:
    settings_code, urls_code = python_blocks()
    assert "TGPASS" in settings_code and "urlpatterns" in urls_code


def test_the_example_knows_a_mini_app_user(example_site: types.ModuleType) -> None:
    response = Client().get("/api/me", headers={"Authorization": tma(init_data())})
    assert response.status_code == 200
    assert response.json() == {"user": "tg5000000001", "telegram_id": USER["id"]}


def test_the_example_refuses_without_init_data(example_site: types.ModuleType) -> None:
    response = Client().get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_credentials"


def test_the_example_signs_in_from_the_login_widget(example_site: types.ModuleType) -> None:
    fields = sign_login_widget(USER, TEST_BOT_TOKEN, auth_date=int(time.time()))
    client = Client()
    response = client.get(f"/telegram/login?{urlencode({**fields, 'next': '/api/me'})}")
    assert (response.status_code, response["Location"]) == (302, "/api/me")
    assert "sessionid" in client.cookies
