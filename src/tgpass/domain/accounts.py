"""Website accounts and their Telegram links: the entities, and the rules on their fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tgpass.errors import InvalidInput

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
ROLE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class TelegramUserLike(Protocol):
    """What every source of a Telegram user offers: verified data, or an update's sender."""

    @property
    def id(self) -> int: ...
    @property
    def first_name(self) -> str: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def username(self) -> str | None: ...
    @property
    def language_code(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """Who a Telegram user says they are, as last verified."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    photo_url: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    @classmethod
    def of(cls, user: TelegramUserLike) -> TelegramProfile:
        return cls(
            telegram_id=user.id,
            first_name=user.first_name,
            last_name=user.last_name,
            username=user.username,
            photo_url=getattr(user, "photo_url", None),  # an update's sender has none
            language_code=user.language_code,
        )


@dataclass(frozen=True, slots=True)
class TelegramLink:
    """A site account's Telegram account; ``chat_id`` once the user has started the bot."""

    user_id: int
    profile: TelegramProfile
    chat_id: int | None
    phone_number: str | None
    bot_blocked: bool
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: int
    display_name: str
    username: str | None
    site_user_id: str | None
    role: str
    karma: int
    session_epoch: int
    created_at: datetime
    password_hash: str | None = None


def normalized_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidInput(
            "a username is 3-32 characters of a-z 0-9 _ . -, starting with a letter or digit",
            field="username",
        )
    return name


def checked_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"a password is {MIN_PASSWORD}-{MAX_PASSWORD} characters", field="password"
        )
    return password


def checked_display_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 128:
        raise InvalidInput("a display name is 1-128 characters", field="display_name")
    return name


def checked_role(role: str) -> str:
    if not ROLE.fullmatch(role):
        raise InvalidInput("a role is 1-32 characters of a-z 0-9 _ -", field="role")
    return role
