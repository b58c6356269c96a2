"""An account gets a password (``PUT /api/me/password``), so that Telegram is not its only
way in: one without a username chooses it there, by registration's rules; one with a password
changes it only with the current one. Errors are typed; writes need the CSRF token."""

from __future__ import annotations

import asyncio

import httpx

from tests.harness.pagesite import (
    PASSWORD,
    PageSite,
)
from tgpass.domain.accounts import TelegramProfile, User
from tgpass.service.accounts.auth import how_long

NEW = "a new pass phrase"


async def signed_in(site: PageSite, user: User, source: str = "bot") -> None:
    """``site.web`` signed in as ``user`` (as the bot's sign-in link would), with its token."""
    token, session = await site.services.sessions.start(user, source)
    site.web.cookies.set("tgpass_session", token)
    site.web.headers["X-CSRF-Token"] = session.csrf_token


async def password_less(site: PageSite, username: str | None = "zoya") -> User:
    """An account with no password (one made with Telegram, or given a username by staff)."""
    return await site.services.accounts.create_user(display_name="Zoya", username=username)


async def put(web: httpx.AsyncClient, **body: str) -> httpx.Response:
    return await web.put("/api/me/password", json=body)


async def can_sign_in(site: PageSite, username: str, password: str) -> bool:
    answer = await site.web.post(
        "/api/auth/login", json={"username": username, "password": password}
    )
    return answer.status_code == 200


async def test_an_account_without_a_password_sets_one_and_signs_in_with_it(
    site: PageSite,
) -> None:
    user = await password_less(site)
    await signed_in(site, user)
    answer = await put(site.web, password=NEW)
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "zoya"
    assert await can_sign_in(site, "zoya", NEW)


async def test_setting_a_password_needs_the_csrf_token_and_a_session(site: PageSite) -> None:
    await signed_in(site, await password_less(site))
    del site.web.headers["X-CSRF-Token"]
    refused = await put(site.web, password=NEW)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf_failed")
    site.web.cookies.clear()
    assert (await put(site.web, password=NEW)).status_code == 401


async def test_a_short_password_is_refused_with_its_field(site: PageSite) -> None:
    await signed_in(site, await password_less(site))
    answer = await put(site.web, password="short")
    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "invalid_input",
        "message": "a password is 8-256 characters",
        "field": "password",
    }


async def test_a_set_password_changes_only_with_the_current_one(site: PageSite) -> None:
    await site.register("ann")
    user = await site.services.accounts.find_user(username="ann")
    assert user is not None
    await signed_in(site, user, "password")
    again = await put(site.web, password=NEW)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "password_set")
    wrong = await put(site.web, password=NEW, current_password="not the one")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_password")
    right = await put(site.web, password=NEW, current_password=PASSWORD)
    assert right.status_code == 200, right.text
    assert await can_sign_in(site, "ann", NEW)
    assert not await can_sign_in(site, "ann", PASSWORD)


async def test_guessing_the_current_password_is_throttled(site: PageSite) -> None:
    await site.register("ann")
    user = await site.services.accounts.find_user(username="ann")
    assert user is not None
    await signed_in(site, user, "password")
    codes = [
        (await put(site.web, password=NEW, current_password=f"guess {n}")).status_code
        for n in range(8)
    ]
    assert codes[:5] == [403] * 5
    assert 429 in codes


async def test_an_account_without_a_username_must_choose_a_free_one(site: PageSite) -> None:
    await site.register("ann")
    await signed_in(site, await password_less(site, username=None))
    missing = await put(site.web, password=NEW)
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "username"
    bad = await put(site.web, password=NEW, username="a")
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "username")
    taken = await put(site.web, password=NEW, username="Ann")
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "username_taken")


async def test_an_account_without_a_username_chooses_one_with_its_password(
    site: PageSite,
) -> None:
    await signed_in(site, await password_less(site, username=None))
    answer = await put(site.web, password=NEW, username="Zoya.Lee")
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == "zoya.lee"
    assert await can_sign_in(site, "zoya.lee", NEW)


async def test_a_username_the_account_has_cannot_be_changed_here(site: PageSite) -> None:
    await signed_in(site, await password_less(site))
    answer = await put(site.web, password=NEW, username="someone-else")
    assert (answer.status_code, answer.json()["error"]["field"]) == (422, "username")
    assert (await put(site.web, password=NEW, username="ZOYA")).status_code == 200


async def test_with_a_password_set_telegram_can_be_unlinked(site: PageSite) -> None:
    user = await password_less(site)
    profile = TelegramProfile(telegram_id=5_000_000_007, first_name="Zoya")
    await site.services.accounts.link_telegram(user.id, profile, chat_id=5_000_000_007)
    await signed_in(site, user)
    first = await site.web.delete("/api/link")
    assert first.status_code == 409
    assert first.json()["error"]["code"] == "last_sign_in_method"
    assert (await put(site.web, password=NEW)).status_code == 200
    assert (await site.web.delete("/api/link")).status_code == 200


def test_waits_are_said_as_people_say_them() -> None:
    said = {s: how_long(s) for s in (1, 2, 59, 60, 61, 120, 899, 3600, 7200)}
    assert said == {
        1: ("second", 1),
        2: ("second", 2),
        59: ("second", 59),
        60: ("minute", 1),
        61: ("minute", 2),
        120: ("minute", 2),
        899: ("minute", 15),
        3600: ("hour", 1),
        7200: ("hour", 2),
    }


async def test_two_first_passwords_at_once_one_wins(site: PageSite) -> None:
    # Both pass the "no password yet" check while their hashes are made; only one is written.
    user = await password_less(site)
    await signed_in(site, user)
    answers = await asyncio.gather(
        put(site.web, password=NEW), put(site.web, password="other one!")
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    lost = next(a for a in answers if a.status_code == 409)
    assert lost.json()["error"]["code"] == "password_set"
    won = NEW if answers[0].status_code == 200 else "other one!"
    assert await can_sign_in(site, "zoya", won)
