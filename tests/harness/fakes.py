"""A messenger that records instead of sending: it subclasses the real port."""

from __future__ import annotations

from collections.abc import Sequence

from tgpass.domain.delivery import OutgoingMessage
from tgpass.errors import RecipientUnavailable
from tgpass.service.ports import Messenger


class RecordingTelegram(Messenger):
    def __init__(self, username: str = "example_site_bot") -> None:
        self.username = username
        self.sent: list[tuple[int, OutgoingMessage]] = []
        self.answered: list[str] = []
        self.blocked: set[int] = set()
        self.commands: list[tuple[str, str]] = []  # the default menu
        self.menus: dict[str | None, list[tuple[str, str]]] = {}  # by language code
        self.admin: list[tuple[str, int, object]] = []

    async def send(self, chat_id: int, message: OutgoingMessage, *, paid: bool = False) -> int:
        if chat_id in self.blocked:
            raise RecipientUnavailable("Forbidden: bot was blocked by the user")
        self.sent.append((chat_id, message))
        return len(self.sent)

    async def answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        self.answered.append(callback_query_id)

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], *, language_code: str | None = None
    ) -> None:
        self.menus[language_code] = list(commands)
        if language_code is None:
            self.commands = list(commands)

    async def bot_username(self) -> str:
        return self.username

    # gated chats: what was asked, in order
    async def create_invite(self, chat_id: int, *, name: str, expire_date: int) -> str:
        self.admin.append(("invite", chat_id, name))
        return f"https://t.me/+{name}"

    async def revoke_invite(self, chat_id: int, invite_link: str) -> None:
        self.admin.append(("revoke", chat_id, invite_link))

    async def answer_join_request(
        self, chat_id: int, telegram_id: int, *, approve: bool, query_id: str | None
    ) -> None:
        self.admin.append(("approve" if approve else "decline", chat_id, telegram_id))

    async def ban_member(self, chat_id: int, telegram_id: int) -> None:
        self.admin.append(("ban", chat_id, telegram_id))

    async def unban_member(self, chat_id: int, telegram_id: int) -> None:
        self.admin.append(("unban", chat_id, telegram_id))

    def texts_to(self, chat_id: int) -> list[str]:
        return [message.text for chat, message in self.sent if chat == chat_id]
