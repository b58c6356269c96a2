"""An "Ask to join" button (an invite link with join requests) pressed again and again: each
press says, in a person's words, where the user stands; a member is never told the link
expired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tgpass.sandbox.server import Sandbox

ADMIN = {"can_invite_users": True, "can_restrict_members": True}


@dataclass
class Club:
    bot: Bot
    chat_id: int
    user_id: int
    http: httpx.AsyncClient

    async def press(self, text: str, message_id: int) -> httpx.Response:
        body = {"bot": "gate_bot", "message_id": message_id, "text": text}
        return await self.http.post(f"/users/{self.user_id}/press", json=body)

    async def dialog(self) -> dict[str, Any]:
        answer = await self.http.get(f"/users/{self.user_id}/dialogs/gate_bot")
        dialog: dict[str, Any] = answer.json()
        return dialog


@pytest.fixture
async def club(sandbox: Sandbox) -> AsyncIterator[Club]:
    users = sandbox.users
    assert users is not None
    bot_info = await users.create_bot("gate_bot")
    owner = await users.create_user("Owner")
    newcomer = await users.create_user("Newcomer")
    chat = await users.create_chat("Book club", owner["id"])
    await users.add_bot_to_chat(chat["id"], bot_info["id"], admin_rights=ADMIN)
    await users.start(newcomer["id"], "gate_bot")
    async with Bot(bot_info["token"], base_url=sandbox.bot_api_base) as bot:
        yield Club(bot, chat["id"], newcomer["id"], users.http)


async def invite(club: Club) -> tuple[str, int]:
    """The bot sends the newcomer an "Ask to join" button: the link and the message's id."""
    link = await club.bot.create_chat_invite_link(club.chat_id, creates_join_request=True)
    button = InlineKeyboardButton("Ask to join", url=link.invite_link)
    sent = await club.bot.send_message(
        club.user_id, "You may join", reply_markup=InlineKeyboardMarkup([[button]])
    )
    return link.invite_link, sent.message_id


async def test_asking_twice_says_the_request_waits(club: Club) -> None:
    link, message_id = await invite(club)
    first = (await club.press("Ask to join", message_id)).json()
    assert first["outcome"] == "join request sent"
    assert first["message"] == "Request sent — an admin or the bot will answer."
    assert first["chat"]["id"] == club.chat_id
    assert (await club.dialog())["pending_invites"] == [link]
    again = await club.press("Ask to join", message_id)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "join request pending"
    assert again.json()["message"] == "Your request to join Book club is waiting for an answer."


async def test_a_member_pressing_again_is_told_so_even_when_the_link_is_revoked(
    club: Club,
) -> None:
    link, message_id = await invite(club)
    await club.press("Ask to join", message_id)
    assert await club.bot.approve_chat_join_request(club.chat_id, club.user_id)
    await club.bot.revoke_chat_invite_link(club.chat_id, link)  # used up, as tgpass does
    assert (await club.dialog())["pending_invites"] == []
    again = await club.press("Ask to join", message_id)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "already a member"
    assert again.json()["message"] == "You're already a member of Book club."


async def test_a_dead_link_refuses_those_outside_in_words_for_people(club: Club) -> None:
    link, message_id = await invite(club)
    await club.bot.revoke_chat_invite_link(club.chat_id, link)
    expired = await club.press("Ask to join", message_id)
    assert expired.status_code == 403
    assert expired.json()["error"] == {
        "code": "refused",
        "message": "This invite link has expired.",
        "invite_link": link,
    }
    unknown = await club.http.post(
        f"/users/{club.user_id}/invites", json={"invite_link": "https://t.me/+nothing"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "This invite link is not valid."
