"""A Telegram gateway that records instead of sending: it subclasses the real port."""

from __future__ import annotations

from tgpass.errors import RecipientUnavailable
from tgpass.service.ports import Button, TelegramGateway


class RecordingTelegram(TelegramGateway):
    def __init__(self, username: str = "example_site_bot") -> None:
        self.username = username
        self.sent: list[tuple[int, str, list[list[Button]] | None]] = []
        self.answered: list[str] = []
        self.blocked: set[int] = set()

    async def send_message(
        self, chat_id: int, text: str, *, buttons: list[list[Button]] | None = None
    ) -> None:
        if chat_id in self.blocked:
            raise RecipientUnavailable("Forbidden: bot was blocked by the user")
        self.sent.append((chat_id, text, buttons))

    async def answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        self.answered.append(callback_query_id)

    async def bot_username(self) -> str:
        return self.username

    def texts_to(self, chat_id: int) -> list[str]:
        return [text for chat, text, _ in self.sent if chat == chat_id]
