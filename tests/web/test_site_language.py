"""The pages' language: the person's choice (the ``tgpass_lang`` cookie, set by the switcher
and, at sign-in, from the account), else their browser's ``Accept-Language``, else the
site's default; only the offered languages (``TGPASS_LANGUAGES``) are ever shown."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import write_po

from tests.harness.fakes import RecordingTelegram
from tests.harness.pagesite import PASSWORD, PageSite, field
from tests.harness.site import running_site, site_settings, sqlite_settings

HTML = {"Accept": "text/html"}


@asynccontextmanager
async def language_site(tmp_path: Path, **settings: Any) -> AsyncIterator[PageSite]:
    made = site_settings(
        sqlite_settings(tmp_path, "languages.sqlite3"),
        api_keys="",
        webhook_secret="",
        worker=False,
        **settings,
    )
    async with running_site(made, telegram=RecordingTelegram()) as running:
        yield PageSite(running.services, running.web)


def lang_of(html: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', html)
    assert found is not None, html[:200]
    return found.group(1), found.group(2)


async def login_page(site: PageSite, **headers: str) -> str:
    answer = await site.web.get("/login", headers=headers)
    assert answer.status_code == 200
    return answer.text


async def test_the_browsers_language_is_spoken_when_offered(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        russian = await login_page(site, **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
        assert lang_of(russian) == ("ru", "ltr")
        assert "Вход в" in russian and "Имя пользователя" in russian
        english = await login_page(site, **{"Accept-Language": "en-GB"})
        assert lang_of(english) == ("en", "ltr")
        assert "Sign in to" in english


async def test_the_header_is_read_by_its_q_values(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        page = await login_page(site, **{"Accept-Language": "en;q=0.5, ru;q=0.9"})
        assert lang_of(page)[0] == "ru"
        page = await login_page(site, **{"Accept-Language": "ru;q=0, en"})
        assert lang_of(page)[0] == "en"


async def test_a_language_not_offered_falls_to_the_default(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        assert lang_of(await login_page(site, **{"Accept-Language": "de, fr;q=0.8"}))[0] == "en"
    async with language_site(tmp_path, default_language="ru") as site:
        assert lang_of(await login_page(site, **{"Accept-Language": "de"}))[0] == "ru"
        assert lang_of(await login_page(site))[0] == "ru"


async def test_the_chosen_language_beats_the_header(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        site.web.cookies.set("tgpass_lang", "ru")
        assert lang_of(await login_page(site, **{"Accept-Language": "en"}))[0] == "ru"
        site.web.cookies.set("tgpass_lang", "de")  # not offered: as if there were none
        assert lang_of(await login_page(site, **{"Accept-Language": "ru"}))[0] == "ru"
        assert lang_of(await login_page(site, **{"Accept-Language": "en"}))[0] == "en"


async def test_the_offered_languages_limit_what_is_shown(tmp_path: Path) -> None:
    async with language_site(tmp_path, languages=("en",)) as site:
        page = await login_page(site, **{"Accept-Language": "ru"})
        assert lang_of(page)[0] == "en"
        assert 'action="/language"' not in page  # nothing to switch to
        site.web.cookies.set("tgpass_lang", "ru")
        assert lang_of(await login_page(site))[0] == "en"
        token = field(page, "csrf_token")  # the same double-submit token
        refused = await site.web.post(
            "/language", data={"language": "ru", "language_token": token, "back": "/login"}
        )
        assert refused.status_code == 422


async def test_the_switcher_lists_each_language_in_its_own_words(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        page = await login_page(site)
        assert '<option value="en" lang="en" selected>English</option>' in page
        assert '<option value="ru" lang="ru">Русский</option>' in page


async def test_the_switcher_needs_the_forms_token(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        await login_page(site)
        refused = await site.web.post("/language", data={"language": "ru", "back": "/login"})
        assert refused.status_code == 403
        assert "tgpass_lang" not in refused.headers.get("set-cookie", "")


async def test_the_switcher_goes_back_to_the_page_in_the_new_language(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        page = await login_page(site)
        assert field(page, "next") == "/account"  # the login form's own comes first
        switcher = page.split('action="/language"', 1)[1]
        assert field(switcher, "back") == "/login"
        chosen = await site.web.post(
            "/language",
            data={
                "language": "ru",
                "language_token": field(switcher, "language_token"),
                "back": "/login",
            },
        )
        assert (chosen.status_code, chosen.headers["location"]) == (303, "/login")
        assert "tgpass_lang=ru" in chosen.headers["set-cookie"]
        again = await login_page(site, **{"Accept-Language": "en"})
        assert lang_of(again)[0] == "ru"
        assert '<option value="ru" lang="ru" selected>Русский</option>' in again


async def test_the_switcher_goes_to_no_other_site(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        page = await login_page(site)
        token = field(page, "language_token")
        for hostile in ("//evil.example", "https://evil.example/", "/\\evil.example"):
            chosen = await site.web.post(
                "/language", data={"language": "ru", "language_token": token, "back": hostile}
            )
            assert chosen.headers["location"] == "/account", hostile


async def test_the_login_page_keeps_a_checked_next_for_the_switcher(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        page = (await site.web.get("/login", params={"next": "/admin/chats"})).text
        switcher = page.split('action="/language"', 1)[1]
        assert field(switcher, "back") == "/login?next=%2Fadmin%2Fchats"


async def test_the_choice_is_kept_with_the_account_and_comes_back_at_sign_in(
    tmp_path: Path,
) -> None:
    async with language_site(tmp_path) as site:
        await site.register("ann")
        account = await site.web.get("/account")
        switcher = account.text.split('action="/language"', 1)[1]
        chosen = await site.web.post(
            "/language",
            data={
                "language": "ru",
                "language_token": field(switcher, "language_token"),
                "back": "/account",
            },
        )
        assert chosen.status_code == 303
        ann = await site.services.accounts.find_user(username="ann")
        assert ann is not None and ann.language == "ru"
        assert (await site.web.get("/api/me")).json()["language"] == "ru"
        # another browser, which never chose: it speaks the account's language once signed in
        other = httpx.AsyncClient(transport=site.web._transport, base_url=str(site.web.base_url))
        async with other:
            login = await other.get("/login", headers={"Accept-Language": "en"})
            assert lang_of(login.text)[0] == "en"
            form = {
                "username": "ann",
                "password": PASSWORD,
                "csrf_token": field(login.text, "csrf_token"),
            }
            signed_in = await other.post("/login", data=form)
            assert signed_in.status_code == 303
            assert "tgpass_lang=ru" in signed_in.headers["set-cookie"]
            page = await other.get("/account", headers={"Accept-Language": "en"})
            assert lang_of(page.text)[0] == "ru"
            assert "Ваш аккаунт" in page.text
        # the JSON sign-in starts a browser session too
        api = await site.web.post("/api/auth/login", json={"username": "ann", "password": PASSWORD})
        assert api.status_code == 200
        assert "tgpass_lang=ru" in api.headers["set-cookie"]


async def test_an_account_that_never_chose_leaves_the_browser_as_it_is(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        answer = await site.web.post(
            "/api/auth/register", json={"username": "bob", "password": PASSWORD}
        )
        assert "tgpass_lang" not in answer.headers["set-cookie"]
        assert (await site.web.get("/api/me")).json()["language"] is None


async def test_the_error_page_speaks_the_language(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        answer = await site.web.get("/no-such-page", headers={**HTML, "Accept-Language": "ru"})
        assert answer.status_code == 404
        assert lang_of(answer.text)[0] == "ru"
        assert "Страница не найдена" in answer.text and "Ошибка 404" in answer.text


async def test_a_staff_page_hands_its_script_every_russian_plural_form(tmp_path: Path) -> None:
    async with language_site(tmp_path) as site:
        await site.register("boss")
        boss = await site.services.accounts.find_user(username="boss")
        assert boss is not None
        await site.services.accounts.update_user(boss.id, role="staff")
        site.web.cookies.set("tgpass_lang", "ru")
        page = (await site.web.get("/admin/chats")).text
        found = re.search(r"const TEXTS = (\{.*?\});\n", page)
        assert found is not None
        texts = json.loads(found.group(1))
        assert texts["members"] == {
            "one": "{n} участник",
            "few": "{n} участника",
            "many": "{n} участников",
        }
        assert texts["status"]["gated"] == "закрыт"


def _right_to_left_catalog(root: Path) -> None:
    catalog = PoCatalog(locale="ar")
    catalog.add("Sign in", "تسجيل الدخول")
    folder = root / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "site.po").open("wb") as out:
        write_po(out, catalog)


async def test_a_right_to_left_language_of_the_sites_own_turns_the_page(tmp_path: Path) -> None:
    texts = tmp_path / "texts"
    _right_to_left_catalog(texts)
    async with language_site(tmp_path, texts_dir=str(texts)) as site:
        page = await login_page(site, **{"Accept-Language": "ar"})
        assert lang_of(page) == ("ar", "rtl")
        assert "تسجيل الدخول" in page
        assert '<option value="ar" lang="ar" selected>العربية</option>' in page
