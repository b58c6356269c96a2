"""The bot's linking and sign-in feature: ``/start <code>`` links, ``/login`` links,
``/me``, ``/unlink``, shared contacts, relink consent, and users blocking the bot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tgpass.domain.accounts import LastSignInMethod, User
from tgpass.domain.delivery import Button
from tgpass.errors import NotFound
from tgpass.service.accounts.auth import new_telegram_account
from tgpass.service.accounts.linking import (
    CodeUnusable,
    Kept,
    Linked,
    LinkingService,
    NeedsConsent,
    Stranded,
)
from tgpass.service.bot.core import (
    BlockChange,
    ButtonPress,
    Command,
    Feature,
    Message,
    Route,
    Turn,
    on,
)
from tgpass.service.events import AccountChanged, AccountEvents
from tgpass.verify import is_valid_payload


class LinkingFeature(Feature):
    def __init__(
        self, linking: LinkingService, events: AccountEvents, *, telegram_signup: bool
    ) -> None:
        self.linking = linking
        self.events = events
        self.telegram_signup = telegram_signup

    def routes(self) -> Sequence[Route]:
        return (
            on(Message, self._message),
            on(ButtonPress, self._button),
            on(BlockChange, self._block),
        )

    def commands(self) -> dict[str, Command]:
        return {
            "/start": self._start,
            "/login": self._login,
            "/me": self._me,
            "/unlink": self._unlink,
            "/help": self._help,
        }

    async def _block(self, turn: Turn, event: BlockChange) -> None:
        accounts = turn.tx.accounts
        link = await accounts.telegram_link(telegram_id=event.telegram_id)
        await accounts.update_telegram(event.telegram_id, bot_blocked=event.blocked)
        if link is not None and link.bot_blocked != event.blocked:  # a change, not a repeat
            what = "bot_blocked" if event.blocked else "bot_unblocked"
            await self.events.publish(turn.tx, AccountChanged(link.user_id, what))

    # -- messages -------------------------------------------------------------------------------

    async def _message(self, turn: Turn, message: Message) -> None:
        """What is not a command: a shared contact, or chatter."""
        if message.contact_user_id is not None:
            await self._contact(turn, message)
            return
        turn.say(message.chat_id, turn.texts.chatter())

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
        elif isinstance(outcome, Stranded):
            turn.say(message.chat_id, texts.cannot_move(outcome.current_user.display_name))
        elif (user := await self._linked_user(turn, message)) is not None:
            turn.say(message.chat_id, texts.already_linked(user.display_name))
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
        try:
            await self.linking.unlink_in(turn.tx, telegram_id=message.sender.telegram_id)
        except NotFound:
            turn.say(message.chat_id, turn.texts.not_linked)
        except LastSignInMethod:
            turn.say(message.chat_id, turn.texts.unlink_would_lock_out())
        else:
            turn.say(message.chat_id, turn.texts.unlinked)

    async def _help(self, turn: Turn, message: Message, _: str) -> None:
        turn.say(message.chat_id, turn.texts.help())

    async def _contact(self, turn: Turn, message: Message) -> None:
        if message.contact_user_id != message.sender.telegram_id:
            turn.say(message.chat_id, turn.texts.share_own_contact)
            return
        if await self._linked_user(turn, message) is None:
            turn.say(message.chat_id, turn.texts.how_to_link(message.sender.first_name))
            return
        telegram_id = message.sender.telegram_id
        link = await turn.tx.accounts.telegram_link(telegram_id=telegram_id)
        await turn.tx.accounts.update_telegram(telegram_id, phone_number=message.contact_phone)
        if link is not None and link.phone_number != message.contact_phone:
            await self.events.publish(turn.tx, AccountChanged(link.user_id, "phone"))
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
        elif isinstance(outcome, Stranded):
            turn.say(press.chat_id, turn.texts.cannot_move(outcome.current_user.display_name))
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
            if link is not None and link.bot_blocked:  # writing to the bot unblocks it
                await self.events.publish(turn.tx, AccountChanged(user.id, "bot_unblocked"))
        return user

    async def _account_of(self, turn: Turn, message: Message) -> User | None:
        """The sender's account, made on first contact when Telegram sign-up is on."""
        user = await self._linked_user(turn, message)
        if user is not None or not self.telegram_signup:
            return user
        return await new_telegram_account(
            turn.tx, self.events, message.sender, chat_id=message.chat_id
        )
