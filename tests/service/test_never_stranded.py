"""An account is never left without a way to sign in: taking away the Telegram link of an
account that has nothing else (made by signing in with the bot: no password, no site id) is
refused, on the site, in the bot and by moving the link to another account. A site's own
users sign in on the site, so the site API unlinks them freely."""

from __future__ import annotations

import re

import pytest

from tests.harness.stack import SITE, Stack
from tests.telegram.test_linking_bot import link_offer, open_and_start

AUTH = {"Authorization": "Bearer site-api-key-for-tests"}
# rules of the use cases: the stack keeps its data in memory
pytestmark = pytest.mark.memory


async def telegram_only_account(stack: Stack, first_name: str = "Zoya") -> int:
    """A Telegram user signs in through the bot for the first time: an account with no
    password. ``stack.web`` is signed in to it (with its CSRF token); the Telegram id."""
    tg = await stack.new_tg_user(first_name)
    await stack.users.send(tg, stack.bot_username, "/login")
    await stack.pump()
    url = (await stack.bot_says(tg))[-1]["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert (await stack.web.get(url.removeprefix(SITE))).status_code == 303
    assert (await stack.web.get("/api/me")).json()["user"]["username"] is None
    page = (await stack.web.get("/account")).text  # the page's token, as its script reads it
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    stack.web.headers["X-CSRF-Token"] = found.group(1)
    return tg


async def still_linked(stack: Stack, tg: int) -> bool:
    return await stack.services.accounts.telegram_link(telegram_id=tg) is not None


async def test_the_site_refuses_to_unlink_the_only_way_in_until_a_password_is_set(
    stack: Stack,
) -> None:
    tg = await telegram_only_account(stack)
    refused = await stack.web.delete("/api/link")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "last_sign_in_method"
    assert "set a password" in refused.json()["error"]["message"]
    assert await still_linked(stack, tg)
    # the same person's next Telegram sign-in finds the same account, not a second one
    assert len(await stack.services.accounts.audience()) == 1

    chosen = await stack.web.put(
        "/api/me/password", json={"username": "zoya", "password": "correct horse"}
    )
    assert chosen.status_code == 200, chosen.text
    assert (await stack.web.delete("/api/link")).status_code == 200
    assert not await still_linked(stack, tg)


async def test_the_bot_refuses_to_unlink_the_only_way_in(stack: Stack) -> None:
    tg = await telegram_only_account(stack)
    await stack.users.send(tg, stack.bot_username, "/unlink")
    await stack.pump()
    said = (await stack.bot_says(tg))[-1]["text"]
    assert "would lock you out" in said
    assert f"{SITE}/account" in said
    assert await still_linked(stack, tg)


async def test_the_link_of_the_only_way_in_does_not_move_to_another_account(
    stack: Stack,
) -> None:
    tg = await telegram_only_account(stack)
    stack.web.cookies.clear()
    await stack.register("second")
    await open_and_start(stack, tg, await link_offer(stack))
    said = (await stack.bot_says(tg))[-1]
    assert "only way to sign in" in said["text"]
    assert "reply_markup" not in said  # no "move it?" question
    assert (await stack.web.get("/api/link")).json()["linked"] is False
    assert await still_linked(stack, tg)


async def test_the_site_api_unlinks_its_own_users_freely(stack: Stack) -> None:
    await stack.web.put("/api/site/users/s-1", json={"display_name": "Ada"}, headers=AUTH)
    offer = await stack.web.post("/api/site/users/s-1/link", headers=AUTH)
    tg = await stack.new_tg_user("Ada")
    await stack.users.open_link(tg, offer.json()["url"])
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    assert await still_linked(stack, tg)
    unlinked = await stack.web.delete("/api/site/users/s-1/telegram", headers=AUTH)
    assert unlinked.status_code == 200
    assert not await still_linked(stack, tg)


async def test_start_with_a_used_link_from_a_linked_account_says_so(stack: Stack) -> None:
    await stack.register("ann")
    url = await link_offer(stack)
    tg = await stack.new_tg_user("Ann")
    await open_and_start(stack, tg, url)
    await open_and_start(stack, tg, url)  # the same link, pressed again
    said = (await stack.bot_says(tg))[-1]["text"]
    assert "already linked to ann" in said
    assert "expired" not in said.split("(")[0]  # the news first; the link's fate after
