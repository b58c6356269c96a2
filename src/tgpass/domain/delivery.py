"""Messages to Telegram users and the rules of their delivery: what a message is, the states
an outbox row goes through, and what each Bot API fault means for it. Pure: no I/O, no clock.

::

    queued ──claim──▶ sending ──ok──▶ sent
      ▲                 │ ├─403──▶ unreachable   (blocked, deactivated, never started)
      │                 │ ├─4xx──▶ failed        (dead letter: chat not found, bad markup)
      └──5xx, 429, ─────┘ └─deadline passed──▶ failed
         migrated, lease expired
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Literal

from tgpass.errors import (
    ChatMigrated,
    InvalidInput,
    RecipientUnavailable,
    TelegramRateLimited,
    TelegramRefused,
    TelegramTransient,
)

State = Literal["queued", "sending", "sent", "failed", "unreachable"]
STATES: tuple[State, ...] = ("queued", "sending", "sent", "failed", "unreachable")
FINAL: frozenset[str] = frozenset({"sent", "failed", "unreachable"})
ParseMode = Literal["HTML", "MarkdownV2"]
MAX_TEXT = 4096  # Telegram's limit for a message's text (after entities are parsed)
MAX_BUTTON_TEXT = 64
MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class Button:
    """A keyboard button: exactly one of the targets. ``request_chat`` (a request id) makes
    it a reply-keyboard button asking the user to pick a group for the bot to administer;
    the others are inline."""

    text: str
    url: str | None = None
    callback_data: str | None = None
    login_url: str | None = None
    web_app_url: str | None = None
    request_chat: int | None = None

    def to_dict(self) -> dict[str, str | int]:
        return {k: v for k, v in _button_fields(self).items() if v is not None}


def _button_fields(button: Button) -> dict[str, str | int | None]:
    return {
        "text": button.text,
        "url": button.url,
        "callback_data": button.callback_data,
        "login_url": button.login_url,
        "web_app_url": button.web_app_url,
        "request_chat": button.request_chat,
    }


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What to send: text in ``parse_mode`` (or plain), inline buttons, silence."""

    text: str
    parse_mode: ParseMode | None = "HTML"
    buttons: tuple[tuple[Button, ...], ...] = ()
    disable_notification: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "text": self.text,
                "parse_mode": self.parse_mode,
                "buttons": [[b.to_dict() for b in row] for row in self.buttons],
                "disable_notification": self.disable_notification,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> OutgoingMessage:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            text=data["text"],
            parse_mode=data.get("parse_mode"),
            buttons=tuple(tuple(Button(**b) for b in row) for row in data.get("buttons") or ()),
            disable_notification=bool(data.get("disable_notification")),
        )


def checked_message(
    text: str,
    *,
    parse_mode: str | None = "HTML",
    buttons: list[list[dict[str, str]]] | None = None,
    disable_notification: bool = False,
) -> OutgoingMessage:
    """A site's message, refused early when Telegram would refuse it for sure."""
    if not text.strip() or len(text) > MAX_TEXT:
        raise InvalidInput("text is 1-{most} characters", field="text", values={"most": MAX_TEXT})
    if parse_mode not in {None, "HTML", "MarkdownV2"}:
        raise InvalidInput("parse_mode is HTML or MarkdownV2", field="parse_mode")
    rows: list[tuple[Button, ...]] = []
    for row in buttons or []:
        if not row or len(row) > 8:
            raise InvalidInput("a row has 1-8 buttons", field="buttons")
        cells = []
        for cell in row:
            label, url = cell.get("text", ""), cell.get("url", "")
            if not 1 <= len(label) <= MAX_BUTTON_TEXT:
                raise InvalidInput("a button's text is 1-64 characters", field="buttons")
            if not url.startswith(("https://", "http://", "tg://")) or len(url) > 2048:
                raise InvalidInput("a button's url is an http(s) or tg:// URL", field="buttons")
            cells.append(Button(label, url=url))
        rows.append(tuple(cells))
    if len(rows) > 100:
        raise InvalidInput("at most 100 rows of buttons", field="buttons")
    return OutgoingMessage(text, parse_mode, tuple(rows), disable_notification)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message to one chat, as the outbox holds it."""

    id: int
    chat_id: int
    message: OutgoingMessage
    state: State
    attempts: int
    available_at: float
    deadline: float
    created_at: float
    user_id: int | None = None
    notification_id: str | None = None
    last_error: str | None = None
    finished_at: float = 0.0
    message_id: int | None = None
    lease_owner: str | None = None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A row to add to the outbox: ``state`` may start final (``unreachable``) for a
    recipient known to have blocked the bot, so a broadcast still counts them."""

    chat_id: int
    message: OutgoingMessage
    user_id: int | None = None
    notification_id: str | None = None
    state: State = "queued"
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """What became of one send: the row's next state and when it may be tried again."""

    item_id: int
    state: State
    attempted: bool = True  # a 429 is not an attempt: the bot was told to wait
    error: str | None = None
    available_at: float = 0.0
    message_id: int | None = None
    chat_id: int | None = None  # the new chat after a migration


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, up to the row's deadline. Telegram's 5xx are usually
    brief: the first retries come quickly, and none waits longer than ``cap``."""

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempts: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(attempts, 30))
        return self.rng.uniform(ceiling / 2, ceiling)


def settle(
    item: OutboxItem, outcome: int | Exception, *, now: float, policy: RetryPolicy
) -> Settlement:
    """The rule for each outcome of a send: a message id, or the error the Messenger raised."""
    if isinstance(outcome, int):
        return Settlement(item.id, "sent", message_id=outcome, available_at=now)
    error = _describe(outcome)
    if isinstance(outcome, RecipientUnavailable):
        return Settlement(item.id, "unreachable", error=error, available_at=now)
    if isinstance(outcome, ChatMigrated):
        chat = outcome.new_chat_id
        return Settlement(item.id, "queued", False, error, now, chat_id=chat)
    if isinstance(outcome, TelegramRateLimited):
        # Not the message's fault: the whole bot waits, the row keeps its attempts.
        return Settlement(item.id, "queued", False, error, now + outcome.retry_after)
    if isinstance(outcome, TelegramRefused):
        return Settlement(item.id, "failed", error=error, available_at=now)
    retry_at = now + policy.delay(item.attempts)
    if not isinstance(outcome, TelegramTransient) or retry_at > item.deadline:
        reason = error if isinstance(outcome, TelegramTransient) else f"unexpected: {error}"
        return Settlement(item.id, "failed", error=f"gave up: {reason}", available_at=now)
    return Settlement(item.id, "queued", error=error, available_at=retry_at)


def _describe(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:MAX_ERROR]
