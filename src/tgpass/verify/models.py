"""Typed, frozen views of what Telegram signs.

Fields follow Telegram's documentation; a field Telegram adds later is kept in ``extra``,
never rejected. ``TelegramUser`` is the one view of a person that every sign-in path gives:
``InitData.user`` is a ``WebAppUser`` (a ``TelegramUser``), ``TelegramLogin.user`` is one too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from tgpass.errors import InvalidAuthData

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramUser:
    """A Telegram user as every sign-in path reports them. ``id`` may exceed 2**32."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    photo_url: str | None = None
    language_code: str | None = None
    is_premium: bool = False
    """False also when Telegram did not say (the Login Widget never says)."""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_dict(self) -> dict[str, Any]:
        """Telegram's JSON shape: absent fields and false flags left out."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "extra":
                out.update(value)
            elif value is not None and value is not False:
                out[name] = value
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class WebAppUser(TelegramUser):
    """The ``user`` (or ``receiver``) object of Mini App init data."""

    is_bot: bool = False
    added_to_attachment_menu: bool = False
    allows_write_to_pm: bool = False
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebAppChat:
    """The ``chat`` object of init data: the group or channel a Mini App was opened from."""

    id: int
    type: str
    title: str
    username: str | None = None
    photo_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.username is not None:
            out["username"] = self.username
        if self.photo_url is not None:
            out["photo_url"] = self.photo_url
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class InitData:
    """Mini App init data (``Telegram.WebApp.initData``), parsed.

    ``chat_instance`` stays a string: it is a 64-bit value that JSON clients round.
    """

    auth_date: datetime
    hash: str | None = None
    query_id: str | None = None
    user: WebAppUser | None = None
    receiver: WebAppUser | None = None
    chat: WebAppChat | None = None
    chat_type: str | None = None
    chat_instance: str | None = None
    start_param: str | None = None
    can_send_after: int | None = None
    signature: str | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The fields as Telegram sent them, objects decoded, ``auth_date`` as unix seconds."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "extra":
                out.update(value)
            elif name == "auth_date":
                out[name] = int(value.timestamp())
            elif isinstance(value, TelegramUser | WebAppChat):
                out[name] = value.to_dict()
            else:
                out[name] = value
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramLogin:
    """What the Login Widget (or a LoginUrl button) hands the website."""

    id: int
    first_name: str
    auth_date: datetime
    hash: str
    last_name: str | None = None
    username: str | None = None
    photo_url: str | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)

    @property
    def user(self) -> TelegramUser:
        return TelegramUser(
            id=self.id,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            photo_url=self.photo_url,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "first_name": self.first_name}
        for name in ("last_name", "username", "photo_url"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["auth_date"] = int(self.auth_date.timestamp())
        out["hash"] = self.hash
        out.update(self.extra)
        return out


# -- building the models from decoded fields ------------------------------------------------

_USER_TYPES: Mapping[str, type] = {
    "id": int,
    "first_name": str,
    "last_name": str,
    "username": str,
    "photo_url": str,
    "language_code": str,
    "is_premium": bool,
    "is_bot": bool,
    "added_to_attachment_menu": bool,
    "allows_write_to_pm": bool,
}
_CHAT_TYPES: Mapping[str, type] = {
    "id": int,
    "type": str,
    "title": str,
    "username": str,
    "photo_url": str,
}
_USER_REQUIRED = ("id", "first_name")
_CHAT_REQUIRED = ("id", "type", "title")


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidAuthData(
            "malformed", "{name} is not valid JSON", field=name, values={"name": name}
        ) from None
    if not isinstance(obj, dict):
        raise InvalidAuthData(
            "malformed", "{name} must be a JSON object", field=name, values={"name": name}
        )
    return obj


def _typed_fields(
    obj: dict[str, Any], types: Mapping[str, type], required: tuple[str, ...], name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in obj.items():
        expected = types.get(key)
        if expected is None:
            extra[key] = value
        elif type(value) is expected:  # exact: a JSON true is not an id
            known[key] = value
        elif value is not None:
            raise InvalidAuthData(
                "malformed",
                "{name}.{key} must be of type {type}",
                field=name,
                values={"name": name, "key": key, "type": expected.__name__},
            )
    for key in required:
        if key not in known:
            raise InvalidAuthData(
                "missing_field",
                "{name}.{key} is missing",
                field=name,
                values={"name": name, "key": key},
            )
    return known, extra


def web_app_user(text: str, name: str) -> WebAppUser:
    known, extra = _typed_fields(_json_object(text, name), _USER_TYPES, _USER_REQUIRED, name)
    return WebAppUser(**known, extra=MappingProxyType(extra) if extra else _EMPTY)


def web_app_chat(text: str) -> WebAppChat:
    known, extra = _typed_fields(_json_object(text, "chat"), _CHAT_TYPES, _CHAT_REQUIRED, "chat")
    return WebAppChat(**known, extra=MappingProxyType(extra) if extra else _EMPTY)


def plain_int(value: str, name: str) -> int:
    """A signed decimal integer with no sign, space, underscore or non-ASCII digit tricks."""
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 20):
        raise InvalidAuthData(
            "malformed", "{name} must be an integer", field=name, values={"name": name}
        )
    return int(value)


def frozen(mapping: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(mapping) if mapping else _EMPTY
