"""The simulated Telegram: accounts, bots, chats, messages and the updates bots receive.

Pure and synchronous: no I/O, the clock injected. The Bot API layer (``botapi``) and the
user-side control API call into it; every rule Telegram enforces that tgpass depends on lives
here, so it is tested without a server.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import CHAT_NOT_FOUND, BotApiError, Invalid, NotFound, bad_request, forbidden
from .limits import FloodControl, FloodLimits
from .observe import Observer, Observers
from .rights import admin_rights

Json = dict[str, Any]

# Telegram leaves these out unless a bot asks for them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
JOIN_REQUEST_DM_WINDOW = 300  # a join request's user_chat_id may be messaged for 5 minutes
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


@dataclass
class Account:
    """A simulated person with a Telegram account."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    phone_number: str | None = None
    photo_url: str | None = None
    is_premium: bool = False

    def as_user(self) -> Json:
        user: Json = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            if getattr(self, name) is not None:
                user[name] = getattr(self, name)
        if self.is_premium:
            user["is_premium"] = True
        return user


@dataclass
class SigningKey:
    """One of the keys ID tokens are signed with: a private JWK, published in the JWKS while
    it is current and, after a rotation, until ``retire_at``."""

    kid: str
    alg: str
    jwk: Json
    created_at: float
    retire_at: float | None = None


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str = "127.0.0.1"
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Bot:
    id: int
    token: str
    username: str
    first_name: str
    web_app_url: str | None = None
    updates: list[Json] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: frozenset[str] | None = None
    webhook: Webhook | None = None
    commands: dict[str, list[Json]] = field(default_factory=dict)  # by scope and language
    menu_button: Json = field(default_factory=lambda: {"type": "default"})
    # Bot API 10.1: a bot assigned to process a chat's join requests answers them by query
    join_request_queries: bool = False
    # Telegram Login over OpenID Connect (BotFather's Web Login settings): the client id is
    # the bot's id; the secret, the allowed redirect URLs and the ID token algorithm are here
    oidc_client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    oidc_redirect_uris: list[str] = field(default_factory=list)
    oidc_algorithm: str = "RS256"

    def as_user(self) -> Json:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def get_me(self) -> Json:
        return {
            **self.as_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": self.web_app_url is not None,
            "has_topics_enabled": False,
            "allows_users_to_create_topics": False,
            "can_manage_bots": False,
            "supports_join_request_queries": self.join_request_queries,
        }

    def wants(self, kind: str) -> bool:
        if self.allowed_updates is None or not self.allowed_updates:
            return kind not in OPT_IN_UPDATES
        return kind in self.allowed_updates


@dataclass
class Member:
    user_id: int
    status: str  # creator | administrator | member | restricted | left | kicked
    rights: Json = field(default_factory=dict)
    until_date: int = 0


@dataclass
class InviteLink:
    invite_link: str
    creator_id: int
    creates_join_request: bool = False
    is_primary: bool = False
    is_revoked: bool = False
    name: str | None = None
    expire_date: int | None = None
    member_limit: int | None = None
    joined: int = 0

    def as_json(self, world: World) -> Json:
        link: Json = {
            "invite_link": self.invite_link,
            "creator": world.participant(self.creator_id),
            "creates_join_request": self.creates_join_request,
            "is_primary": self.is_primary,
            "is_revoked": self.is_revoked,
        }
        for name in ("name", "expire_date", "member_limit"):
            if getattr(self, name) is not None:
                link[name] = getattr(self, name)
        if self.creates_join_request:
            link["pending_join_request_count"] = 0
        return link


@dataclass
class JoinRequest:
    user_id: int
    date: int
    invite_link: str | None
    bio: str | None = None
    query_id: str | None = None  # Bot API 10.1: the guard bot's join request query
    query_bot_id: int | None = None


@dataclass
class Chat:
    """A group, supergroup or channel. Private chats are ``Dialog``s."""

    id: int
    type: str
    title: str
    username: str | None = None
    members: dict[int, Member] = field(default_factory=dict)
    messages: list[Json] = field(default_factory=list)
    invite_links: dict[str, InviteLink] = field(default_factory=dict)
    join_requests: dict[int, JoinRequest] = field(default_factory=dict)
    next_message_id: int = 1
    migrated_to: int | None = None  # a group upgraded to this supergroup answers 400 with it
    guard_bot_id: int | None = None  # the bot that processes join request queries

    def as_chat(self) -> Json:
        chat: Json = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            chat["username"] = self.username
        return chat

    def is_member(self, user_id: int) -> bool:
        member = self.members.get(user_id)
        return member is not None and member.status in {"creator", "administrator", "member"}


@dataclass
class Dialog:
    """The private chat of one account with one bot. Its chat id is the account's id."""

    bot_id: int
    user_id: int
    messages: list[Json] = field(default_factory=list)
    started: bool = False
    blocked: bool = False
    next_message_id: int = 1
    # set when a join request lets the bot write first, until then + 5 minutes
    may_write_until: int = 0
    # the user let the bot write first when logging in (telegram:bot_access, acceptUrlAuth's
    # write_allowed)
    write_allowed: bool = False
    reply_keyboard: Json | None = None  # the bot's current reply keyboard, shown to the user
    pending_start: str | None = None  # a deep link's payload, sent when the user presses Start
    # what the user received from the bot, with the exact time (control API: /received)
    deliveries: list[Json] = field(default_factory=list)
    chat_instance: str = field(default_factory=lambda: str(-secrets.randbits(62)))


class World:
    """All simulated state. Methods named after what a user or a bot does."""

    def __init__(
        self, clock: Callable[[], float] = time.time, *, on_emit: Observer | None = None
    ) -> None:
        self.clock = clock
        self.observers = Observers(on_emit)  # see observe: what tests check conformance on
        self.accounts: dict[int, Account] = {}
        self.bots: dict[int, Bot] = {}
        self.bots_by_token: dict[str, Bot] = {}
        self.chats: dict[int, Chat] = {}
        self.dialogs: dict[tuple[int, int], Dialog] = {}
        # counters, kept as plain numbers so that a saved world can be loaded again
        self.next_user_id = 5_000_000_001  # user ids beyond 2**32, as Telegram's are
        self.next_chat_number = 1_001_000_000_001
        self.next_callback_id = 4_000_000_000_000_001
        self.callback_queries: dict[str, tuple[int, int]] = {}  # id -> (bot_id, user_id)
        self.callback_answers: dict[str, Json] = {}
        self.flood = FloodControl(FloodLimits(), clock)
        # OpenID Connect: the ID token signing keys, newest last, and the key that derives
        # each user's ``sub`` for each bot
        self.oidc_keys: list[SigningKey] = []
        self.oidc_subject_key = secrets.token_hex(32)

    def now(self) -> int:
        return int(self.clock())

    def _new_user_id(self) -> int:
        while self.next_user_id in self.accounts or self.next_user_id in self.bots:
            self.next_user_id += 1
        self.next_user_id += 1
        return self.next_user_id - 1

    def new_callback_query(self, bot_id: int, user_id: int) -> str:
        query_id = str(self.next_callback_id)
        self.next_callback_id += 1
        self.callback_queries[query_id] = (bot_id, user_id)
        return query_id

    # -- creating the world ---------------------------------------------------------------

    def _check_free(self, user_id: int) -> None:
        if user_id in self.accounts or user_id in self.bots:
            raise Invalid(f"The id {user_id} is taken.", id=user_id)

    def add_account(self, first_name: str, **details: Any) -> Account:
        account = Account(
            id=details.pop("id", None) or self._new_user_id(), first_name=first_name, **details
        )
        self._check_free(account.id)
        self.accounts[account.id] = account
        return account

    def add_bot(self, username: str, first_name: str | None = None, **details: Any) -> Bot:
        bot_id = details.pop("id", None) or self._new_user_id()
        self._check_free(bot_id)
        token = details.pop("token", None) or f"{bot_id}:{secrets.token_urlsafe(26)}"
        if not token.startswith(f"{bot_id}:"):
            raise Invalid("A bot's token starts with its id and a colon.", bot_id=bot_id)
        holder = self.find_bot(username)
        if holder is not None:
            raise Invalid(f"The username @{holder.username} is taken.", username=holder.username)
        bot = Bot(
            id=bot_id, token=token, username=username, first_name=first_name or username, **details
        )
        self.bots[bot.id] = bot
        self.bots_by_token[token] = bot
        return bot

    def add_chat(
        self,
        title: str,
        *,
        type: str = "supergroup",
        owner_id: int,
        username: str | None = None,
        members: Iterable[int] = (),
    ) -> Chat:
        if type not in {"group", "supergroup", "channel"}:
            raise Invalid("A chat is a group, a supergroup or a channel.", type=type)
        number = self.next_chat_number
        self.next_chat_number += 1
        chat_id = -number if type != "group" else -(number % 1_000_000_000)
        chat = Chat(id=chat_id, type=type, title=title, username=username)
        chat.members[owner_id] = Member(owner_id, "creator")
        for user_id in members:
            chat.members[user_id] = Member(user_id, "member")
        self.chats[chat.id] = chat
        return chat

    # -- finding things -------------------------------------------------------------------

    def account(self, user_id: int) -> Account:
        account = self.accounts.get(user_id)
        if account is None:
            raise NotFound("This user is not in the sandbox.", user_id=user_id)
        return account

    def find_bot(self, username: str) -> Bot | None:
        name = username.removeprefix("@").lower()
        return next((b for b in self.bots.values() if b.username.lower() == name), None)

    def bot_by_username(self, username: str) -> Bot:
        bot = self.find_bot(username)
        if bot is None:
            name = username.removeprefix("@")
            raise NotFound(f"There is no bot @{name}.", bot=name)
        return bot

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def participant(self, user_id: int) -> Json:
        if user_id in self.bots:
            return self.bots[user_id].as_user()
        return self.account(user_id).as_user()

    def dialog(self, bot_id: int, user_id: int) -> Dialog:
        key = (bot_id, user_id)
        if key not in self.dialogs:
            self.dialogs[key] = Dialog(bot_id, user_id)
        return self.dialogs[key]

    def member_json(self, chat: Chat, user_id: int) -> Json:
        member = chat.members.get(user_id)
        status = member.status if member else "left"
        data: Json = {"user": self.participant(user_id), "status": status}
        if member is not None and member.status == "administrator":
            data.update({"can_be_edited": False, **admin_rights(chat.type, member.rights)})
        if member is not None and member.status == "kicked":
            data["until_date"] = member.until_date
        if member is not None and member.status == "creator":
            data["is_anonymous"] = False
        return data

    def _owner(self, chat: Chat) -> int:
        return next(uid for uid, m in chat.members.items() if m.status == "creator")

    # -- updates --------------------------------------------------------------------------

    def enqueue(self, bot: Bot, kind: str, payload: Json) -> None:
        if not bot.wants(kind):
            return
        update = {"update_id": bot.next_update_id, kind: payload}
        bot.updates.append(update)
        bot.next_update_id += 1
        self.observers.emit("update", update)

    def take_updates(self, bot: Bot, offset: int | None, limit: int) -> list[Json]:
        """getUpdates: confirm what is below ``offset``; a negative offset keeps the last -N."""
        if offset is not None and offset < 0:
            del bot.updates[: max(len(bot.updates) + offset, 0)]
        elif offset is not None:
            bot.updates[:] = [u for u in bot.updates if u["update_id"] >= offset]
        return bot.updates[:limit]

    def confirm_update(self, bot: Bot, update_id: int) -> None:
        bot.updates[:] = [u for u in bot.updates if u["update_id"] != update_id]

    # -- messages -------------------------------------------------------------------------

    def _store(self, target: Chat | Dialog, message: Json) -> Json:
        message["message_id"] = target.next_message_id
        target.next_message_id += 1
        target.messages.append(message)
        return message

    def user_message(self, user_id: int, bot: Bot, content: Json) -> Json:
        """An account writes in its dialog with ``bot``: the bot gets a ``message`` update."""
        dialog = self.dialog(bot.id, user_id)
        if dialog.blocked:
            self.unblock(user_id, bot)
        dialog.started = True
        message = self._store(
            dialog,
            {
                "from": self.account(user_id).as_user(),
                "chat": self.private_chat_json(user_id),
                "date": self.now(),
                **content,
            },
        )
        self.enqueue(bot, "message", message)
        return message

    def private_chat_json(self, user_id: int) -> Json:
        account = self.account(user_id)
        chat: Json = {"id": account.id, "type": "private", "first_name": account.first_name}
        if account.last_name:
            chat["last_name"] = account.last_name
        if account.username:
            chat["username"] = account.username
        return chat

    def send_text(self, user_id: int, bot: Bot, text: str) -> Json:
        content: Json = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self.user_message(user_id, bot, content)

    def start(self, user_id: int, bot: Bot, payload: str | None = None) -> Json:
        """The user presses Start (from a deep link with ``payload``, or plainly)."""
        return self.send_text(user_id, bot, "/start" if not payload else f"/start {payload}")

    def bot_message(
        self,
        bot: Bot,
        chat_id: int | str,
        content: Json,
        *,
        reply_keyboard: Json | None = None,
        paid: bool = False,
    ) -> Json:
        """A bot sends a message: into a dialog (chat id = user id) or a group. A reply
        keyboard (or its removal) replaces the one the user sees under the dialog. ``paid``:
        sent with allow_paid_broadcast (a higher bot-wide flood limit)."""
        target = self.resolve_chat(chat_id, bot)
        if isinstance(target, Dialog):
            chat_json = self.private_chat_json(target.user_id)
        else:
            if not target.is_member(bot.id):
                raise forbidden(f"bot is not a member of the {target.type} chat")
            chat_json = target.as_chat()
        self.flood.take(bot.id, chat_json["id"], group=not isinstance(target, Dialog), paid=paid)
        sent_at = self.clock()
        message = self._store(
            target, {"from": bot.as_user(), "chat": chat_json, "date": int(sent_at), **content}
        )
        if isinstance(target, Dialog):
            target.deliveries.append(
                {
                    "message_id": message["message_id"],
                    "chat_id": target.user_id,
                    "date": sent_at,
                    "text": message.get("text"),
                    "paid_broadcast": paid,
                }
            )
            if reply_keyboard is not None:
                removed = reply_keyboard.get("remove_keyboard") is True
                target.reply_keyboard = None if removed else reply_keyboard
        return message

    def resolve_chat(self, chat_id: int | str, bot: Bot) -> Chat | Dialog:
        """What ``chat_id`` names for ``bot``, with Telegram's 400s and 403s."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            found = next(
                (c for c in self.chats.values() if (c.username or "").lower() == name), None
            )
            if found is None:
                raise bad_request(CHAT_NOT_FOUND)
            return found
        if chat_id in self.chats:
            chat = self.chats[chat_id]
            if chat.migrated_to is not None:
                raise BotApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": chat.migrated_to},
                )
            return chat
        if chat_id in self.accounts:
            dialog = self.dialogs.get((bot.id, chat_id))
            if dialog is None or not (
                dialog.started or dialog.write_allowed or dialog.may_write_until >= self.now()
            ):
                raise forbidden("bot can't initiate conversation with a user")
            if dialog.blocked:
                raise forbidden("bot was blocked by the user")
            return dialog
        raise bad_request(CHAT_NOT_FOUND)

    def find_message(self, target: Chat | Dialog, message_id: int) -> Json:
        for message in target.messages:
            if message["message_id"] == message_id:
                return message
        raise bad_request("message to edit not found")

    # -- blocking -------------------------------------------------------------------------

    def block(self, user_id: int, bot: Bot) -> None:
        dialog = self.dialog(bot.id, user_id)
        if not dialog.blocked:
            dialog.blocked = True
            self._my_chat_member_private(user_id, bot, "member", "kicked")

    def unblock(self, user_id: int, bot: Bot) -> None:
        dialog = self.dialog(bot.id, user_id)
        if dialog.blocked:
            dialog.blocked = False
            self._my_chat_member_private(user_id, bot, "kicked", "member")

    def _my_chat_member_private(self, user_id: int, bot: Bot, old: str, new: str) -> None:
        def member(status: str) -> Json:
            data: Json = {"user": bot.as_user(), "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.enqueue(
            bot,
            "my_chat_member",
            {
                "chat": self.private_chat_json(user_id),
                "from": self.account(user_id).as_user(),
                "date": self.now(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )


def command_entities(text: str) -> list[Json]:
    """``bot_command`` entities, offsets in UTF-16 code units as Telegram counts them."""
    entities = []
    for match in _COMMAND.finditer(text):
        offset = len(text[: match.start()].encode("utf-16-le")) // 2
        length = len(match.group().encode("utf-16-le")) // 2
        entities.append({"type": "bot_command", "offset": offset, "length": length})
    return entities
