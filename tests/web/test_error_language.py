"""An error is answered in the language of whoever asked (the ``tgpass_lang`` cookie, else
Accept-Language, else the site's default): the same ``code``, the message from the errors
catalog; a page for a browser. A translation that cannot be used gives the English message,
never a failed answer."""

from __future__ import annotations

import gettext
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.served import SITE_AUTH, Served, served
from tests.harness.site import MEMORY
from tgpass import i18n
from tgpass.errors import NotFound
from tgpass.i18n import Catalog, Catalogs, Translator
from tgpass.web import errors

RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BAD_ROLE = {"display_name": "X", "role": "Bad Role!"}


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Served]:
    async with served(MEMORY, tmp_path) as found:
        yield found


async def _bad_role(client: httpx.AsyncClient, **headers: str) -> httpx.Response:
    answer = await client.put("/api/site/users/x", json=BAD_ROLE, headers={**SITE_AUTH, **headers})
    assert answer.status_code == 422, answer.text
    return answer


async def test_the_site_api_answers_in_the_language_asked_for(web: Served) -> None:
    english = (await _bad_role(web.web)).json()["error"]
    russian = (await _bad_role(web.web, **RUSSIAN)).json()["error"]
    assert english == {
        "code": "invalid_input",
        "message": "a role is 1-32 characters of a-z 0-9 _ -",
        "field": "role",
    }
    assert russian == {**english, "message": "роль — от 1 до 32 символов из a-z 0-9 _ -"}


async def test_the_chosen_language_wins_over_the_browsers(web: Served) -> None:
    web.web.cookies.set("tgpass_lang", "ru")
    chosen = (await _bad_role(web.web, **{"Accept-Language": "en"})).json()["error"]
    assert chosen["message"] == "роль — от 1 до 32 символов из a-z 0-9 _ -"
    web.web.cookies.set("tgpass_lang", "en")
    assert (await _bad_role(web.web, **RUSSIAN)).json()["error"]["message"].startswith("a role")


async def test_a_language_not_offered_gets_english(web: Served) -> None:
    answer = await _bad_role(web.web, **{"Accept-Language": "xx, zz;q=0.5"})
    assert answer.json()["error"]["message"] == "a role is 1-32 characters of a-z 0-9 _ -"


async def test_fastapis_own_validation_error_in_russian(web: Served) -> None:
    answer = await web.web.put(
        "/api/site/users/x", json={"karma": "many"}, headers={**SITE_AUTH, **RUSSIAN}
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == ("invalid_input", "запрос некорректен")
    assert {"field": "karma", "message": "в этом поле должно быть целое число"} in (
        error["details"]
    )
    english = await web.web.put("/api/site/users/x", json={"karma": "many"}, headers=SITE_AUTH)
    assert english.json()["error"]["message"] == "the request is not valid"


async def test_starlettes_own_errors_in_russian(web: Served) -> None:
    missing = await web.web.get("/api/no-such-thing", headers=RUSSIAN)
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "message": "по этому адресу ничего нет"}
    wrong = await web.web.delete("/api/site/users/x/link", headers=RUSSIAN)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert wrong.json()["error"]["message"] == "этот адрес не принимает такой метод"


async def test_a_browser_gets_the_error_page_in_russian(web: Served) -> None:
    page = await web.web.get("/no-such-page", headers={**BROWSER, **RUSSIAN})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "По этому адресу страницы нет." in page.text
    english = await web.web.get("/no-such-page", headers=BROWSER)
    assert "There is no page at this address." in english.text


def _catalogs(russian: gettext.NullTranslations) -> Catalogs:
    shipped = i18n.load()
    errors_catalog = Catalog(
        "errors",
        "en",
        {"en": Translator("en", gettext.NullTranslations()), "ru": Translator("ru", russian)},
    )
    return Catalogs(("en", "ru"), "en", {**shipped.domains, "errors": errors_catalog})


class _Saying(gettext.NullTranslations):
    """A catalog that says ``text`` for every message."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def gettext(self, message: str) -> str:
        return self.text


def _app(catalogs: Catalogs) -> FastAPI:
    app = FastAPI()
    app.state.services = SimpleNamespace(catalogs=catalogs)
    errors.install(app)

    @app.get("/api/users/{user_id}")
    async def user(user_id: int) -> None:
        raise NotFound("no user {user_id}", values={"user_id": user_id})

    return app


async def _ask(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/api/users/42", headers=RUSSIAN)


async def test_the_values_are_filled_in_the_translation() -> None:
    answer = await _ask(_app(i18n.load()))
    assert answer.status_code == 404
    assert answer.json()["error"] == {"code": "not_found", "message": "нет пользователя 42"}


@pytest.mark.parametrize("broken", ["нет пользователя {nobody}", "нет пользователя {", "{0}"])
async def test_a_broken_translation_gives_the_english_message(broken: str) -> None:
    answer = await _ask(_app(_catalogs(_Saying(broken))))
    assert answer.status_code == 404
    assert answer.json()["error"] == {"code": "not_found", "message": "no user 42"}


async def test_a_working_stand_in_catalog_is_used() -> None:
    """The stand-in of the test above does reach the answer when it is sound."""
    answer = await _ask(_app(_catalogs(_Saying("пользователя {user_id} нет"))))
    assert answer.json()["error"]["message"] == "пользователя 42 нет"
