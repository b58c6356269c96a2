"""What the use cases need from the outside world, as abstract ports."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from tgpass.domain.accounts import TelegramLink, TelegramProfile, User
from tgpass.errors import Conflict

_UNSET: Any = object()


class AlreadyLinked(Conflict):
    """The Telegram account is linked to another site account; ``user_id`` says which."""

    code = "already_linked"

    def __init__(self, user_id: int) -> None:
        super().__init__("this Telegram account is linked to another account")
        self.user_id = user_id


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
    ) -> User: ...

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

    async def close(self) -> None:  # noqa: B027 (optional)
        """Release connections."""


UNSET = _UNSET
