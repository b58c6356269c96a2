"""Linking rules a mutation run of service/accounts/linking.py showed untested: a moved link keeps a
chat the bot can write to, unlinking by Telegram id, one-time sign-in codes' size and bounds."""

from __future__ import annotations

import pytest

from tests.harness.stack import Stack
from tgpass.domain.codes import code_key
from tgpass.errors import NotFound


async def open_and_start(stack: Stack, tg: int) -> None:
    offer = await stack.web.post("/api/link")
    assert offer.status_code == 200, offer.text
    await stack.users.open_link(tg, offer.json()["url"])
    await stack.users.start(tg, stack.bot_username)
    assert await stack.pump() >= 1


async def test_a_link_moved_by_consent_can_still_be_messaged(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann")
    await stack.register("first")
    await open_and_start(stack, tg)
    stack.web.cookies.clear()
    await stack.register("second")
    await open_and_start(stack, tg)
    ask = (await stack.bot_says(tg))[-1]
    await stack.users.press(tg, stack.bot_username, "Yes, move it", ask["message_id"])
    await stack.pump()
    telegram = (await stack.web.get("/api/link")).json()["telegram"]
    assert telegram["id"] == tg
    assert telegram["can_message"] is True
    second = await stack.services.accounts.find_user(username="second")
    assert second is not None
    link = await stack.services.accounts.telegram_link(user_id=second.id)
    assert link is not None
    assert link.chat_id == tg
    # (consent() passing chat_id=None instead survives this: on a move the store updates the
    # same Telegram account's row and keeps its chat; the chat id given only clears a stale
    # "blocked" flag, which a user pressing the bot's button cannot have.)


@pytest.mark.memory
async def test_unlink_by_telegram_id(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann")
    await stack.register("ann")
    await open_and_start(stack, tg)
    removed = await stack.services.linking.unlink(telegram_id=tg)
    assert removed.profile.telegram_id == tg
    assert (await stack.web.get("/api/link")).json()["linked"] is False
    with pytest.raises(NotFound) as caught:
        await stack.services.linking.unlink(telegram_id=tg)
    assert (caught.value.code, caught.value.message) == (
        "not_linked",
        "no Telegram account is linked",
    )


@pytest.mark.memory
async def test_sign_in_codes_carry_256_bits_and_work_once(stack: Stack) -> None:
    await stack.register("ann")
    user = await stack.services.accounts.find_user(username="ann")
    assert user is not None
    code = await stack.services.linking.offer_login(user.id)
    assert len(code) == 43  # 32 random bytes in base64url
    assert code != await stack.services.linking.offer_login(user.id)
    found = await stack.services.linking.redeem_login(code)
    assert found is not None
    assert found.id == user.id
    assert await stack.services.linking.redeem_login(code) is None


@pytest.mark.memory
@pytest.mark.parametrize(("length", "works"), [(1, True), (128, True), (129, False)])
async def test_sign_in_codes_of_up_to_128_characters_are_looked_up(
    stack: Stack, length: int, works: bool
) -> None:
    await stack.register("ann")
    user = await stack.services.accounts.find_user(username="ann")
    assert user is not None
    linking = stack.services.linking
    code = "c" * length
    await linking.kv.set_json(code_key(linking.secret_key, "login", code), {"user_id": user.id}, 60)
    found = await linking.redeem_login(code)
    assert (found is not None and found.id == user.id) is works


@pytest.mark.memory
async def test_an_empty_sign_in_code_is_nobody(stack: Stack) -> None:
    assert await stack.services.linking.redeem_login("") is None


@pytest.mark.memory
async def test_only_the_offered_code_links_the_account(stack: Stack) -> None:
    # Codes are stored as keyed hashes: a hash that ignored the code would let any code
    # redeem whatever link is pending.
    await stack.register("ann")
    offer = (await stack.web.post("/api/link")).json()["url"]
    stranger = await stack.new_tg_user("Mallory")
    forged = offer[: offer.index("start=") + len("start=")] + "A" * 43
    assert forged != offer
    await stack.users.open_link(stranger, forged)
    await stack.users.start(stranger, stack.bot_username)
    await stack.pump()
    assert "expired or was already used" in (await stack.bot_says(stranger))[-1]["text"]
    assert (await stack.web.get("/api/link")).json()["linked"] is False
    owner = await stack.new_tg_user("Ann")
    await stack.users.open_link(owner, offer)
    await stack.users.start(owner, stack.bot_username)
    await stack.pump()
    assert (await stack.web.get("/api/link")).json()["telegram"]["id"] == owner


@pytest.mark.memory
async def test_consent_tokens_are_fresh_and_unguessable(stack: Stack) -> None:
    tg = await stack.new_tg_user("Ann")
    await stack.register("first")
    await open_and_start(stack, tg)
    tokens = []
    for name in ("second", "third"):
        stack.web.cookies.clear()
        await stack.register(name)
        await open_and_start(stack, tg)
        keyboard = (await stack.bot_says(tg))[-1]["reply_markup"]["inline_keyboard"]
        move = keyboard[0][0]["callback_data"]
        assert move.startswith("move:")
        tokens.append(move.removeprefix("move:"))
    assert tokens[0] != tokens[1]
    assert all(len(token) >= 22 for token in tokens)  # at least 128 random bits


@pytest.mark.parametrize(
    "stack", [{"telegram_link_base": "http://127.0.0.1:9/t.me"}], indirect=True
)
async def test_link_offers_use_the_configured_base(stack: Stack) -> None:
    await stack.register("ann")
    url = (await stack.web.post("/api/link")).json()["url"]
    assert url.startswith(f"http://127.0.0.1:9/t.me/{stack.bot_username}?start=")
