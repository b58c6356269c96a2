"""What the use cases need from the outside world, as abstract ports. (The unit of work and
its repositories are in ``uow``.)"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tgpass.domain.accounts import TelegramLink, TelegramProfile, User
from tgpass.domain.delivery import Button, OutgoingMessage
from tgpass.errors import Conflict

__all__ = [
    "UNSET",
    "AccountStore",
    "AlreadyLinked",
    "Button",
    "EndpointAnswer",
    "EndpointUnreachable",
    "KeyValueStore",
    "Messenger",
    "WebhookTransport",
]

_UNSET: Any = object()
UNSET = _UNSET


class AlreadyLinked(Conflict):
    """The Telegram account is linked to another site account; ``user_id`` says which."""

    code = "already_linked"

    def __init__(self, user_id: int) -> None:
        super().__init__("this Telegram account is linked to another account")
        self.user_id = user_id


class KeyValueStore(ABC):
    """Bytes under string keys, each with a time to live in seconds.

    Implementations make every method atomic, across processes where they are shared: a code
    ``pop``-ed by fifty callers at once is returned to exactly one of them.
    """

    @abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    @abstractmethod
    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Set only if absent; True when this call set it."""

    @abstractmethod
    async def pop(self, key: str) -> bytes | None:
        """Get and delete in one step."""

    @abstractmethod
    async def delete(self, key: str) -> None: ...

    @abstractmethod
    async def incr(self, key: str, ttl: float) -> int:
        """Add one and return the count; the TTL starts with the first increment."""

    @abstractmethod
    async def ttl(self, key: str) -> float | None:
        """Seconds left, or None when the key is absent."""

    async def close(self) -> None:  # noqa: B027 (optional for backends without resources)
        """Release connections."""

    # -- conveniences on top ----------------------------------------------------------------

    async def get_json(self, key: str) -> Any:
        raw = await self.get(key)
        return None if raw is None else json.loads(raw)

    async def set_json(self, key: str, value: Any, ttl: float) -> None:
        await self.set(key, json.dumps(value).encode(), ttl)

    async def pop_json(self, key: str) -> Any:
        raw = await self.pop(key)
        return None if raw is None else json.loads(raw)


class AccountStore(ABC):
    """Site accounts and their Telegram links."""

    @abstractmethod
    async def create_user(
        self,
        *,
        display_name: str,
        username: str | None = None,
        password_hash: str | None = None,
        site_user_id: str | None = None,
        role: str = "member",
        karma: int = 0,
    ) -> User:
        """Raises Conflict when the username or site user id is taken."""

    @abstractmethod
    async def get_user(self, user_id: int) -> User | None: ...

    @abstractmethod
    async def get_users(self, user_ids: Collection[int]) -> dict[int, User]:
        """The accounts that exist among ``user_ids``, by id, in one read."""

    @abstractmethod
    async def find_user(
        self,
        *,
        username: str | None = None,
        site_user_id: str | None = None,
        telegram_id: int | None = None,
    ) -> User | None:
        """By exactly one of the keys."""

    @abstractmethod
    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        role: str | None = None,
        karma: int | None = None,
        password_hash: str | None = None,
        username: str | None = None,
        if_password_hash: str | None = _UNSET,
        language: str | None = None,
    ) -> User:
        """Change what is given; Conflict when ``username`` is another account's, or when
        ``if_password_hash`` is given and the account's password hash is no longer that (None:
        no password): two requests setting a first password cannot both win. ``language``:
        the language the person chose for the site's pages."""

    @abstractmethod
    async def bump_session_epoch(self, user_id: int) -> int:
        """Invalidate every session of the user: returns the new epoch."""

    @abstractmethod
    async def telegram_link(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None: ...

    @abstractmethod
    async def link_telegram(
        self,
        user_id: int,
        profile: TelegramProfile,
        *,
        chat_id: int | None = None,
        move: bool = False,
    ) -> TelegramLink:
        """Link (or re-link) a Telegram account to ``user_id``; a previous link of the user is
        replaced. A Telegram account linked elsewhere raises AlreadyLinked unless ``move``."""

    @abstractmethod
    async def delete_user(self, user_id: int) -> bool:
        """Forget the account and everything that is its own (its Telegram link, codes);
        False when there was none."""

    @abstractmethod
    async def unlink_telegram(
        self, *, user_id: int | None = None, telegram_id: int | None = None
    ) -> TelegramLink | None:
        """Remove the link; returns what was removed."""

    @abstractmethod
    async def update_telegram(
        self,
        telegram_id: int,
        *,
        profile: TelegramProfile | None = None,
        chat_id: int | None = _UNSET,
        phone_number: str | None = _UNSET,
        bot_blocked: bool | None = None,
    ) -> None: ...

    @abstractmethod
    async def audience(
        self,
        *,
        site_user_ids: Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
        min_karma: int | None = None,
    ) -> list[tuple[User, TelegramLink]]:
        """Linked users matching every filter given (all linked users when none is)."""

    async def close(self) -> None:  # noqa: B027 (optional)
        """Release connections."""


class Messenger(ABC):
    """What the use cases ask of Telegram's Bot API, with its faults typed (tgpass.errors):
    ``TelegramRateLimited`` (429: the whole bot waits ``retry_after``), ``RecipientUnavailable``
    (403), ``ChatMigrated`` (the group's new id), ``TelegramRefused`` (another 4xx, permanent)
    and ``TelegramTransient`` (5xx, network, timeout: the call may or may not have happened)."""

    @abstractmethod
    async def send(self, chat_id: int, message: OutgoingMessage, *, paid: bool = False) -> int:
        """Send ``message``; Telegram's message id. ``paid`` sends ``allow_paid_broadcast``."""

    @abstractmethod
    async def answer_callback(self, callback_query_id: str, text: str | None = None) -> None: ...

    @abstractmethod
    async def bot_username(self) -> str: ...

    @abstractmethod
    async def set_commands(
        self, commands: Sequence[tuple[str, str]], *, language_code: str | None = None
    ) -> None:
        """The bot's command menu: (command, description) pairs, for the users of
        ``language_code`` (two letters), or with None for everyone without a menu of their
        language."""

    # -- administering gated chats ---------------------------------------------------------------

    @abstractmethod
    async def create_invite(self, chat_id: int, *, name: str, expire_date: int) -> str:
        """A new invite link that makes join requests; its URL."""

    @abstractmethod
    async def revoke_invite(self, chat_id: int, invite_link: str) -> None: ...

    @abstractmethod
    async def answer_join_request(
        self, chat_id: int, telegram_id: int, *, approve: bool, query_id: str | None
    ) -> None:
        """Approve or decline; through the query when the request came as one (the bot is
        the chat's guard bot)."""

    @abstractmethod
    async def ban_member(self, chat_id: int, telegram_id: int) -> None:
        """Out of the chat (its messages stay)."""

    @abstractmethod
    async def unban_member(self, chat_id: int, telegram_id: int) -> None:
        """Free to come back; nothing happens to someone who is not banned."""

    async def close(self) -> None:  # noqa: B027 (optional)
        """Release connections."""


@dataclass(frozen=True, slots=True)
class EndpointAnswer:
    status: int
    retry_after: float | None = None
    """Seconds the endpoint asked to wait (``Retry-After``), when it said."""


class EndpointUnreachable(Exception):
    """No answer from a site's endpoint: refused, timed out, a forbidden address, a name
    that does not resolve. ``reason`` is what the deliveries list shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookTransport(ABC):
    """POSTs to the sites' event endpoints: no redirect followed, the answer's body read
    only up to a small limit, and no address of a private network reached unless allowed."""

    @abstractmethod
    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> EndpointAnswer:
        """The endpoint's answer; raises ``EndpointUnreachable`` when there is none."""

    async def close(self) -> None:  # noqa: B027 (optional)
        """Release connections."""
