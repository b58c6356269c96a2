"""The bot's side of tgpass: linking by ``/start <code>``, ``/login`` links, restricted
commands, contacts, relink consent.

Each update is handled in one unit of work: the record that it was handled, what it changed
and the replies it queued commit together, so a failure changes nothing and a redelivery is
recognised. Replies are then sent at once from the outbox; when Telegram is slow, failing or
asks to wait, they stay queued for the worker and still arrive. An update whose handling
fails is kept as a dead letter; it never blocks the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from tgpass.domain.accounts import TelegramProfile, User
from tgpass.domain.delivery import Button, NewMessage, OutgoingMessage
from tgpass.errors import Conflict, InvalidInput, TelegramError
from tgpass.verify import is_valid_payload

from .auth import new_telegram_account
from .linking import CodeUnusable, Kept, Linked, LinkingService, NeedsConsent
from .metrics import Metrics
from .ports import Messenger
from .sender import Sender
from .texts import COMMANDS, Texts, texts_for
from .uow import UnitOfWork, UnitOfWorkFactory

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


Event = Message | ButtonPress | BlockChange


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


class BotService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        linking: LinkingService,
        messenger: Messenger,
        sender: Sender,
        metrics: Metrics,
        *,
        texts: Texts,
        bot_id: int,
        telegram_signup: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.linking = linking
        self.messenger = messenger
        self.sender = sender
        self.metrics = metrics
        self.texts = texts
        self.bot_id = bot_id
        self.telegram_signup = telegram_signup
        self.clock = clock
        self._commands: dict[str, Callable[[Turn, Message, str], Awaitable[None]]] = {
            "/start": self._start,
            "/login": self._login,
            "/me": self._me,
            "/unlink": self._unlink,
            "/help": self._help,
        }

    async def set_commands(self) -> None:
        """The bot's command menu in Telegram's clients."""
        await self.messenger.set_commands(COMMANDS)

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
                    turn = Turn(tx, self.texts)
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
            turn.texts = texts_for(self.texts, event.sender.language_code)
            await self._message(turn, event)
        elif isinstance(event, ButtonPress):
            turn.texts = texts_for(self.texts, event.sender.language_code)
            await self._button(turn, event)
        else:
            await turn.tx.accounts.update_telegram(event.telegram_id, bot_blocked=event.blocked)

    async def _send_now(self, ids: list[int]) -> None:
        """The replies, sent in this request when Telegram lets us; else the worker will."""
        try:
            await self.sender.send_due(ids=ids, max_wait=FAST_PATH_WAIT)
        except Exception:  # they are queued: the worker delivers them
            log.warning("replies %s left to the worker", ids, exc_info=True)

    async def _answer(self, callback_query_id: str) -> None:
        try:
            await self.messenger.answer_callback(callback_query_id)
        except TelegramError as error:  # the spinner stops on its own; nothing is lost
            log.warning("answerCallbackQuery failed: %s", error)

    # -- messages -------------------------------------------------------------------------------

    async def _message(self, turn: Turn, message: Message) -> None:
        if message.contact_user_id is not None:
            await self._contact(turn, message)
            return
        text = (message.text or "").strip()
        if not text.startswith("/"):
            turn.say(message.chat_id, turn.texts.chatter())
            return
        command, _, argument = text.partition(" ")
        handler = self._commands.get(command.split("@", 1)[0].lower(), self._help)
        await handler(turn, message, argument.strip())

    async def _start(self, turn: Turn, message: Message, payload: str) -> None:
        if payload == "login":
            await self._login(turn, message, "")
        elif payload:
            await self._redeem(turn, message, payload)
        else:
            user = await self._linked_user(turn, message)
            first = message.sender.first_name
            turn.say(
                message.chat_id,
                turn.texts.how_to_link(first)
                if user is None
                else turn.texts.greeting(first, user.display_name),
            )

    async def _redeem(self, turn: Turn, message: Message, code: str) -> None:
        outcome = (
            await self.linking.redeem(turn.tx, code, message.sender, message.chat_id)
            if is_valid_payload(code)
            else CodeUnusable()
        )
        texts = turn.texts
        if isinstance(outcome, Linked):
            name = outcome.user.display_name
            turn.say(message.chat_id, texts.linked(message.sender.first_name, name))
        elif isinstance(outcome, NeedsConsent):
            turn.say(
                message.chat_id,
                texts.ask_consent(outcome.current_user.display_name, outcome.new_user.display_name),
                buttons=(
                    (
                        Button(texts.consent_yes, callback_data=f"move:{outcome.token}"),
                        Button(texts.consent_no, callback_data=f"keep:{outcome.token}"),
                    ),
                ),
            )
        else:
            turn.say(message.chat_id, texts.code_unusable())

    async def _login(self, turn: Turn, message: Message, _: str) -> None:
        user = await self._account_of(turn, message)
        if user is None:
            turn.say(message.chat_id, turn.texts.how_to_link(message.sender.first_name))
            return
        code = await self.linking.offer_login(user.id)
        turn.say(
            message.chat_id,
            turn.texts.login_offer(self.linking.login_link_ttl // 60),
            buttons=((Button(turn.texts.sign_in_button, url=turn.texts.urls.login_link(code)),),),
        )

    async def _me(self, turn: Turn, message: Message, _: str) -> None:
        user = await self._linked_user(turn, message)
        if user is None:
            turn.say(message.chat_id, turn.texts.for_linked_only(message.sender.first_name))
            return
        link = await turn.tx.accounts.telegram_link(user_id=user.id)
        phone = link.phone_number if link else None
        turn.say(message.chat_id, turn.texts.me(user.display_name, user.role, user.karma, phone))

    async def _unlink(self, turn: Turn, message: Message, _: str) -> None:
        removed = await turn.tx.accounts.unlink_telegram(telegram_id=message.sender.telegram_id)
        turn.say(message.chat_id, turn.texts.unlinked if removed else turn.texts.not_linked)

    async def _help(self, turn: Turn, message: Message, _: str) -> None:
        turn.say(message.chat_id, turn.texts.help())

    async def _contact(self, turn: Turn, message: Message) -> None:
        if message.contact_user_id != message.sender.telegram_id:
            turn.say(message.chat_id, turn.texts.share_own_contact)
            return
        if await self._linked_user(turn, message) is None:
            turn.say(message.chat_id, turn.texts.how_to_link(message.sender.first_name))
            return
        await turn.tx.accounts.update_telegram(
            message.sender.telegram_id, phone_number=message.contact_phone
        )
        turn.say(message.chat_id, turn.texts.phone_saved)

    # -- buttons --------------------------------------------------------------------------------

    async def _button(self, turn: Turn, press: ButtonPress) -> None:
        action, _, token = press.data.partition(":")
        if action not in {"move", "keep"} or not token:
            return
        outcome = await self.linking.consent(turn.tx, token, press.sender, accept=action == "move")
        if press.chat_id is None:
            return
        if isinstance(outcome, Linked):
            turn.say(press.chat_id, turn.texts.moved(outcome.user.display_name))
        elif isinstance(outcome, Kept | CodeUnusable):
            turn.say(press.chat_id, turn.texts.nothing_changed)

    # -- helpers --------------------------------------------------------------------------------

    async def _linked_user(self, turn: Turn, message: Message) -> User | None:
        accounts = turn.tx.accounts
        user = await accounts.find_user(telegram_id=message.sender.telegram_id)
        if user is None:
            return None
        # They wrote to the bot: their chat is open, and their name may have changed.
        link = await accounts.telegram_link(telegram_id=message.sender.telegram_id)
        current = link is not None and (
            # an update's sender carries no photo: compare what it does carry
            link.profile == replace(message.sender, photo_url=link.profile.photo_url)
            and link.chat_id == message.chat_id
            and not link.bot_blocked
        )
        if not current:
            await accounts.update_telegram(
                message.sender.telegram_id,
                profile=message.sender,
                chat_id=message.chat_id,
                bot_blocked=False,
            )
        return user

    async def _account_of(self, turn: Turn, message: Message) -> User | None:
        """The sender's account, made on first contact when Telegram sign-up is on."""
        user = await self._linked_user(turn, message)
        if user is not None or not self.telegram_signup:
            return user
        return await new_telegram_account(turn.tx.accounts, message.sender, chat_id=message.chat_id)
