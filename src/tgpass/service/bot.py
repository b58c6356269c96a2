"""The bot's side of tgpass: linking by ``/start <code>``, ``/login`` links, restricted
commands, contacts, relink consent. It reads events the Telegram adapter distilled from
updates, and answers through the ``TelegramGateway`` port."""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape

from tgpass.domain.accounts import TelegramProfile, User
from tgpass.errors import Forbidden, RecipientUnavailable
from tgpass.verify import is_valid_payload

from .auth import AuthService
from .linking import CodeUnusable, Linked, LinkingService, NeedsConsent
from .ports import AccountStore, Button, KeyValueStore, TelegramGateway

UPDATE_MEMORY = 7 * 86400  # Telegram keeps an undelivered update for at most a day or so


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


class BotService:
    def __init__(
        self,
        accounts: AccountStore,
        kv: KeyValueStore,
        auth: AuthService,
        linking: LinkingService,
        telegram: TelegramGateway,
        *,
        public_url: str,
        site_name: str,
        bot_id: int,
    ) -> None:
        self.accounts = accounts
        self.kv = kv
        self.auth = auth
        self.linking = linking
        self.telegram = telegram
        self.public_url = public_url.rstrip("/")
        self.site_name = site_name
        self.bot_id = bot_id

    async def handle(self, event: Event) -> bool:
        """Handle an event once per update_id, whichever process receives it; True if handled."""
        key = f"update:{self.bot_id}:{event.update_id}"
        if not await self.kv.add(key, b"1", UPDATE_MEMORY):
            return False
        try:
            if isinstance(event, Message):
                await self._message(event)
            elif isinstance(event, ButtonPress):
                await self._button(event)
            else:
                await self._block_change(event)
        except BaseException:
            await self.kv.delete(key)  # not handled after all: let Telegram's retry through
            raise
        return True

    # -- messages -------------------------------------------------------------------------------

    async def _message(self, message: Message) -> None:
        if message.contact_user_id is not None:
            await self._contact(message)
            return
        text = (message.text or "").strip()
        if not text.startswith("/"):
            return  # chatter is not ours to answer
        command, _, argument = text.partition(" ")
        command = command.split("@", 1)[0].lower()
        argument = argument.strip()
        handler = {
            "/start": self._start,
            "/login": self._login,
            "/me": self._me,
            "/unlink": self._unlink,
            "/help": self._help,
        }.get(command, self._help)
        await handler(message, argument)

    async def _start(self, message: Message, payload: str) -> None:
        if payload == "login":
            await self._login(message, "")
            return
        if payload:
            await self._redeem(message, payload)
            return
        user = await self._linked_user(message)
        if user is None:
            await self._say(message.chat_id, self._how_to_link(message.sender))
        else:
            await self._say(
                message.chat_id,
                f"Hello, {escape(message.sender.first_name)}! This Telegram account is linked to "
                f"<b>{escape(user.display_name)}</b> on {escape(self.site_name)}.\n\n"
                "/login – a sign-in link for the website\n/me – your account\n/unlink – unlink",
            )

    async def _redeem(self, message: Message, code: str) -> None:
        outcome = (
            await self.linking.redeem(code, message.sender, message.chat_id)
            if is_valid_payload(code)
            else CodeUnusable()
        )
        if isinstance(outcome, Linked):
            await self._say(
                message.chat_id,
                f"✅ Linked! Hello, {escape(message.sender.first_name)}: this Telegram account is "
                f"now linked to <b>{escape(outcome.user.display_name)}</b> on "
                f"{escape(self.site_name)}.",
            )
        elif isinstance(outcome, NeedsConsent):
            await self._say(
                message.chat_id,
                f"This Telegram account is linked to <b>{escape(outcome.current_user.display_name)}"
                f"</b>. Move it to <b>{escape(outcome.new_user.display_name)}</b>?",
                buttons=[
                    [
                        Button("Yes, move it", callback_data=f"move:{outcome.token}"),
                        Button("No, keep it", callback_data=f"keep:{outcome.token}"),
                    ]
                ],
            )
        else:
            await self._say(
                message.chat_id,
                "This link has expired or was already used. Get a new one on "
                f"{self.public_url}/account",
            )

    async def _login(self, message: Message, _: str) -> None:
        try:
            user = await self.auth.telegram_user(message.sender, chat_id=message.chat_id)
        except Forbidden:
            await self._say(message.chat_id, self._how_to_link(message.sender))
            return
        await self.accounts.update_telegram(message.sender.telegram_id, chat_id=message.chat_id)
        code = await self.linking.offer_login(user.id)
        await self._say(
            message.chat_id,
            f"Here is your sign-in link for {escape(self.site_name)}. "
            f"It works once, for {self.linking.login_link_ttl // 60} minutes.",
            buttons=[[Button("Sign in", url=f"{self.public_url}/auth/bot?code={code}")]],
        )

    async def _me(self, message: Message, _: str) -> None:
        user = await self._linked_user(message)
        if user is None:
            await self._say(
                message.chat_id,
                "This command is for linked accounts. " + self._how_to_link(message.sender),
            )
            return
        link = await self.accounts.telegram_link(user_id=user.id)
        phone = link.phone_number if link and link.phone_number else "not shared"
        await self._say(
            message.chat_id,
            f"You are <b>{escape(user.display_name)}</b> on {escape(self.site_name)}.\n"
            f"Role: {escape(user.role)} · karma: {user.karma} · phone: {escape(phone)}",
        )

    async def _unlink(self, message: Message, _: str) -> None:
        removed = await self.accounts.unlink_telegram(telegram_id=message.sender.telegram_id)
        await self._say(
            message.chat_id,
            "Unlinked. The bot will no longer know you on the website."
            if removed
            else "This Telegram account is not linked.",
        )

    async def _help(self, message: Message, _: str) -> None:
        await self._say(
            message.chat_id,
            f"I link your Telegram account to {escape(self.site_name)}.\n\n"
            "/start – link or greet\n/login – a sign-in link\n/me – your account\n"
            "/unlink – unlink this Telegram account",
        )

    async def _contact(self, message: Message) -> None:
        if message.contact_user_id != message.sender.telegram_id:
            await self._say(message.chat_id, "Please share your own contact, with the button.")
            return
        if await self._linked_user(message) is None:
            await self._say(message.chat_id, self._how_to_link(message.sender))
            return
        await self.accounts.update_telegram(
            message.sender.telegram_id, phone_number=message.contact_phone
        )
        await self._say(message.chat_id, "Thanks! Your phone number is saved.")

    # -- buttons and blocks ---------------------------------------------------------------------

    async def _button(self, press: ButtonPress) -> None:
        action, _, token = press.data.partition(":")
        if action not in {"move", "keep"} or not token:
            await self.telegram.answer_callback(press.callback_query_id)
            return
        outcome = await self.linking.consent(token, press.sender, accept=action == "move")
        await self.telegram.answer_callback(press.callback_query_id)
        if press.chat_id is None:
            return
        if isinstance(outcome, Linked):
            await self._say(
                press.chat_id,
                f"✅ Moved: this Telegram account is now linked to "
                f"<b>{escape(outcome.user.display_name)}</b>.",
            )
        else:
            await self._say(press.chat_id, "Nothing changed: the link stays where it was.")

    async def _block_change(self, change: BlockChange) -> None:
        await self.accounts.update_telegram(change.telegram_id, bot_blocked=change.blocked)

    # -- helpers --------------------------------------------------------------------------------

    async def _linked_user(self, message: Message) -> User | None:
        user = await self.accounts.find_user(telegram_id=message.sender.telegram_id)
        if user is None:
            return None
        # They wrote to the bot: their chat is open, and their name may have changed.
        link = await self.accounts.telegram_link(telegram_id=message.sender.telegram_id)
        current = link is not None and (
            # an update's sender carries no photo: compare what it does carry
            link.profile == replace(message.sender, photo_url=link.profile.photo_url)
            and link.chat_id == message.chat_id
            and not link.bot_blocked
        )
        if not current:
            await self.accounts.update_telegram(
                message.sender.telegram_id,
                profile=message.sender,
                chat_id=message.chat_id,
                bot_blocked=False,
            )
        return user

    def _how_to_link(self, sender: TelegramProfile) -> str:
        return (
            f"Hello, {escape(sender.first_name)}! To link your account, sign in at "
            f"{self.public_url}/account and press “Link Telegram”."
        )

    async def _say(
        self, chat_id: int, text: str, *, buttons: list[list[Button]] | None = None
    ) -> None:
        try:
            await self.telegram.send_message(chat_id, text, buttons=buttons)
        except RecipientUnavailable:
            await self.accounts.update_telegram(chat_id, bot_blocked=True)
