"""The bot: updates dispatched by event type to the features that registered for them
(linking and sign-in in ``bot_linking``, gated chats in ``bot_gating``).

Each update is handled in one unit of work: the record that it was handled, what it changed
and the replies it queued commit together, so a failure changes nothing and a redelivery is
recognised. Replies are then sent at once from the outbox; when Telegram is slow, failing or
asks to wait, they stay queued for the worker and still arrive. An update whose handling
fails is kept as a dead letter; it never blocks the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tgpass.domain.accounts import TelegramProfile
from tgpass.domain.delivery import Button, NewMessage, OutgoingMessage
from tgpass.domain.gating import JoinRequest, MemberStatus
from tgpass.errors import Conflict, InvalidInput, TelegramError
from tgpass.service.bot.texts import Texts, command_menus
from tgpass.service.metrics import Metrics
from tgpass.service.notify.sender import Sender
from tgpass.service.ports import Messenger
from tgpass.service.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("tgpass.bot")
REPLY_DEADLINE = 86400.0
FAST_PATH_WAIT = 1.0  # a reply that would wait longer for the flood limits goes to the worker


@dataclass(frozen=True, slots=True)
class Message:
    """A message to the bot in a private chat."""

    update_id: int
    chat_id: int
    sender: TelegramProfile
    text: str | None = None
    contact_user_id: int | None = None
    contact_phone: str | None = None


@dataclass(frozen=True, slots=True)
class ButtonPress:
    update_id: int
    callback_query_id: str
    chat_id: int | None
    sender: TelegramProfile
    data: str


@dataclass(frozen=True, slots=True)
class BlockChange:
    """The user blocked (or unblocked) the bot."""

    update_id: int
    telegram_id: int
    blocked: bool


@dataclass(frozen=True, slots=True)
class BotStatusChange:
    """The bot's own status or rights changed in a group, supergroup or channel."""

    update_id: int
    chat_id: int
    title: str
    chat_type: str
    status: str
    rights: frozenset[str]


@dataclass(frozen=True, slots=True)
class MemberChange:
    """Someone's status changed in a chat the bot administers."""

    update_id: int
    chat_id: int
    telegram_id: int
    status: MemberStatus
    by_self: bool


@dataclass(frozen=True, slots=True)
class JoinRequested:
    update_id: int
    request: JoinRequest


@dataclass(frozen=True, slots=True)
class ChatShared:
    """The user picked a chat with the bot's ``request_chat`` button."""

    update_id: int
    chat_id: int  # the private chat it was shared in
    sender: TelegramProfile
    request_id: int
    shared_chat_id: int
    title: str | None


@dataclass(frozen=True, slots=True)
class GroupMigrated:
    """A group the bot is in became a supergroup."""

    update_id: int
    old_chat_id: int
    new_chat_id: int


Event = (
    Message
    | ButtonPress
    | BlockChange
    | BotStatusChange
    | MemberChange
    | JoinRequested
    | ChatShared
    | GroupMigrated
)


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: str  # handled | duplicate | failed


@dataclass
class Turn:
    """One update's work: its transaction and the replies it queues there."""

    tx: UnitOfWork
    texts: Texts
    replies: list[NewMessage] = field(default_factory=list)

    def say(self, chat_id: int, text: str, *, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        self.replies.append(NewMessage(chat_id, OutgoingMessage(text, "HTML", buttons)))


E = TypeVar("E")
Command = Callable[[Turn, Message, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Route:
    """Events of one type, to the handler that takes that type: made by ``on``, which is
    where the type checker sees that the two agree."""

    kind: type
    handle: Callable[[Turn, Any], Awaitable[None]]


def on(kind: type[E], handle: Callable[[Turn, E], Awaitable[None]]) -> Route:
    return Route(kind, handle)


class Feature:
    """Part of the bot: the events it takes (one feature per event type) and the commands it
    answers in private chats."""

    def routes(self) -> Sequence[Route]:
        return ()

    def commands(self) -> dict[str, Command]:
        return {}


class BotService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messenger: Messenger,
        sender: Sender,
        metrics: Metrics,
        features: Sequence[Feature],
        *,
        texts: Texts,
        bot_id: int,
        menu: Sequence[tuple[str, str]] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.messenger = messenger
        self.sender = sender
        self.metrics = metrics
        self.texts = texts
        self.bot_id = bot_id
        self.menu = tuple(menu)
        self.clock = clock
        self._routes: dict[type, Route] = {}
        self._commands: dict[str, Command] = {}
        for feature in features:
            for route in feature.routes():
                if route.kind in self._routes:
                    raise ValueError(f"two features handle {route.kind.__name__}")
                self._routes[route.kind] = route
            for name, command in feature.commands().items():
                if name in self._commands:
                    raise ValueError(f"two features answer {name}")
                self._commands[name] = command
        self._fallback = self._commands.get("/help")

    @property
    def event_types(self) -> frozenset[type]:
        """What the bot takes: the updates to ask Telegram for follow from it."""
        return frozenset(self._routes) | ({Message} if self._commands else set())

    async def set_commands(self) -> None:
        """The bot's command menu in Telegram's clients: the default language's for everyone,
        then each other offered language's for the users of that language."""
        for language_code, menu in command_menus(self.texts, self.menu):
            await self.messenger.set_commands(menu, language_code=language_code)

    async def handle(self, event: Event, *, raw: str | None = None) -> Handled:
        """Handle an update once, whichever process receives it. Never raises for what the
        update contains: a failure is recorded with ``raw`` as a dead letter."""
        try:
            queued = await self._in_transaction(event)
        except Exception as error:
            await self.record_failure(event.update_id, error, raw)
            return Handled("failed")
        if queued is None:
            self.metrics.updates.labels("duplicate").inc()
            return Handled("duplicate")
        if isinstance(event, ButtonPress):
            await self._answer(event.callback_query_id)
        if queued:
            await self._send_now(queued)
        self.metrics.updates.labels("handled").inc()
        return Handled("handled")

    async def record_failure(self, update_id: int, error: Exception, raw: str | None) -> None:
        """Keep an update that could not be handled, for the operator. Raises only when even
        that is impossible (the database is away), so that Telegram delivers it again."""
        # input that cannot be read is the sender's problem; anything else is ours
        level = logging.WARNING if isinstance(error, InvalidInput) else logging.ERROR
        log.log(level, "update %s failed: %s: %s", update_id, type(error).__name__, error)
        self.metrics.updates.labels("failed").inc()
        async with self.uow() as tx:
            await tx.updates.fail(
                self.bot_id,
                update_id,
                error=f"{type(error).__name__}: {error}",
                payload=raw,
                now=self.clock(),
            )

    async def _in_transaction(self, event: Event) -> list[int] | None:
        """The update's changes and replies, committed together: the ids of the queued
        replies, or None when the update was handled before."""
        for attempt in range(3):
            try:
                async with self.uow() as tx:
                    if not await tx.updates.claim(self.bot_id, event.update_id, now=self.clock()):
                        return None
                    sender = getattr(event, "sender", None)
                    language = sender.language_code if sender is not None else None
                    turn = Turn(tx, self.texts.for_telegram(language))
                    await self._dispatch(turn, event)
                    now = self.clock()
                    ids = await tx.outbox.add(turn.replies, now=now, deadline=now + REPLY_DEADLINE)
                    tx.after_commit(self.sender.wake)
                    return ids
            except Conflict:
                # A concurrent change to the same rows (two links of one Telegram account at
                # once): the transaction rolled back whole, so running it again is safe.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _dispatch(self, turn: Turn, event: Event) -> None:
        if isinstance(event, Message):
            text = (event.text or "").strip()
            if text.startswith("/") and event.contact_user_id is None:
                name, _, argument = text.partition(" ")
                command = self._commands.get(name.split("@", 1)[0].lower(), self._fallback)
                if command is not None:
                    await command(turn, event, argument.strip())
                return
        route = self._routes.get(type(event))
        if route is not None:
            await route.handle(turn, event)

    async def _send_now(self, ids: list[int]) -> None:
        """The replies, sent in this request when Telegram lets us; else the worker will."""
        try:
            await self.sender.send_due(ids=ids, max_wait=FAST_PATH_WAIT)
        except Exception as error:  # they are queued: the worker delivers them (or says why)
            log.warning("replies %s left to the worker (%s)", ids, type(error).__name__)

    async def _answer(self, callback_query_id: str) -> None:
        try:
            await self.messenger.answer_callback(callback_query_id)
        except TelegramError as error:  # the spinner stops on its own; nothing is lost
            log.warning("answerCallbackQuery failed: %s", error)
