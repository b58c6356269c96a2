"""Website accounts and their Telegram links: the entities, and the rules on their fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tgpass.errors import Conflict, InvalidInput

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
ROLE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
MAX_DISPLAY_NAME = 128
TELEGRAM_ID_MIN, TELEGRAM_ID_MAX = -(2**63), 2**63 - 1
"""Telegram ids are signed 64-bit integers (what a BIGINT column holds)."""
# What each stored Telegram field may hold: names are cut to fit, optional fields that do
# not fit are left out (Telegram itself never signs longer ones).
_NAME_SIZE = 128
_OPTIONAL_SIZES = {"username": 64, "photo_url": 512, "language_code": 16}


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
    language: str | None = None
    """The language the person chose for the site's pages (a tag such as ``ru``), or None."""


class LastSignInMethod(Conflict):
    """Taking the Telegram link away would leave the account no way to sign in."""

    code = "last_sign_in_method"

    def __init__(self) -> None:
        super().__init__(
            "Telegram is this account's only way to sign in: set a password first, then unlink."
        )


def keeps_a_way_in(user: User) -> bool:
    """Whether the account can still be signed in to without Telegram: by its password, or
    on the site that manages it (a site's users sign in on the site itself)."""
    return user.password_hash is not None or user.site_user_id is not None


def check_telegram_removable(user: User) -> None:
    """Raise LastSignInMethod unless the account keeps a way in without its Telegram link."""
    if not keeps_a_way_in(user):
        raise LastSignInMethod()


def storable(text: str, field: str) -> str:
    """``text`` when every backend stores it as given: no NUL (PostgreSQL refuses it in text),
    no lone surrogate (not encodable as UTF-8)."""
    if "\x00" in text or not (text.isascii() or _utf8(text)):
        raise InvalidInput(
            "{field} holds a character that cannot be stored", field=field, values={"field": field}
        )
    return text


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def normalized_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidInput(
            "a username is 3-32 characters of a-z 0-9 _ . -, starting with a letter or digit",
            field="username",
        )
    return name


def checked_password(password: str) -> str:
    storable(password, "password")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            "a password is {min}-{max} characters",
            field="password",
            values={"min": MIN_PASSWORD, "max": MAX_PASSWORD},
        )
    return password


def checked_display_name(name: str) -> str:
    name = " ".join(storable(name, "display_name").split())
    if not 1 <= len(name) <= MAX_DISPLAY_NAME:
        raise InvalidInput(
            "a display name is 1-{max} characters",
            field="display_name",
            values={"max": MAX_DISPLAY_NAME},
        )
    return name


def display_name_of(profile: TelegramProfile) -> str:
    """The display name of an account made from a Telegram profile: the full name, cut to fit
    (two names of Telegram's 64 characters and a space are longer than a display name)."""
    name = " ".join(profile.full_name.split())[:MAX_DISPLAY_NAME].rstrip()
    return name or (profile.username or "")[:MAX_DISPLAY_NAME] or "Telegram user"


def checked_profile(profile: TelegramProfile) -> TelegramProfile:
    """A profile the stores can keep as it is: a signed 64-bit id and storable text, names cut
    to their columns, optional fields that cannot fit left out. Raises InvalidInput naming the
    field; the checks of the signature itself are the verifier's."""
    if not TELEGRAM_ID_MIN <= profile.telegram_id <= TELEGRAM_ID_MAX:
        raise InvalidInput("a Telegram id is a signed 64-bit integer", field="telegram_id")
    first_name = storable(profile.first_name, "first_name")[:_NAME_SIZE]
    last_name = profile.last_name
    if last_name is not None:
        last_name = storable(last_name, "last_name")[:_NAME_SIZE]
    optional: dict[str, str | None] = {}
    for field, size in _OPTIONAL_SIZES.items():
        value: str | None = getattr(profile, field)
        if value is not None:
            storable(value, field)
        optional[field] = value if value is not None and len(value) <= size else None
    fitted = TelegramProfile(
        telegram_id=profile.telegram_id,
        first_name=first_name,
        last_name=last_name,
        username=optional["username"],
        photo_url=optional["photo_url"],
        language_code=optional["language_code"],
    )
    return profile if fitted == profile else fitted


def checked_role(role: str) -> str:
    if not ROLE.fullmatch(role):
        raise InvalidInput("a role is 1-32 characters of a-z 0-9 _ -", field="role")
    return role
