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
        self.commands: list[tuple[str, str]] = []

    async def send(self, chat_id: int, message: OutgoingMessage, *, paid: bool = False) -> int:
        if chat_id in self.blocked:
            raise RecipientUnavailable("Forbidden: bot was blocked by the user")
        self.sent.append((chat_id, message))
        return len(self.sent)

    async def answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        self.answered.append(callback_query_id)

    async def set_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        self.commands = list(commands)

    async def bot_username(self) -> str:
        return self.username

    def texts_to(self, chat_id: int) -> list[str]:
        return [message.text for chat, message in self.sent if chat == chat_id]
