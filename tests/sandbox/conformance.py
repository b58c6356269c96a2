"""Does the sandbox speak Telegram's Bot API? Every update it queues and every result it
answers with is parsed by the newest aiogram (pydantic models of Bot API 10.3: required fields,
types, and no field Telegram does not have) and by python-telegram-bot's ``de_json``.

Use it anywhere the sandbox runs:

- import the autouse fixture into a conftest (``from tests.sandbox.conformance import
  telegram_conformance``): every sandbox built while a test runs is checked, and the test
  errors at teardown on what either library refuses;
- or pass a ``ConformanceChecker`` to ``Sandbox(on_emit=checker)`` and read ``.failures``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram import methods as aiogram_methods
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import Update as AiogramUpdate
from pydantic import BaseModel

from tgpass.sandbox.observe import observing_every_world

__all__ = ["ConformanceChecker", "NonConformant", "check", "telegram_conformance"]


class NonConformant(AssertionError):
    """What the sandbox emitted is not what a Bot API client accepts."""


@functools.cache
def _aiogram_bot() -> AiogramBot:
    # Parsing only: the bot is context for aiogram's models and never makes a request.
    return AiogramBot("42:CONFORMANCE")


@functools.cache
def _aiogram_method_types() -> dict[str, Any]:
    """Bot API method name, lowercased -> aiogram's ``Response[result type]``."""
    found: dict[str, Any] = {}
    for name in dir(aiogram_methods):
        cls = getattr(aiogram_methods, name)
        if isinstance(cls, type) and issubclass(cls, TelegramMethod) and cls is not TelegramMethod:
            found[cls.__api_method__.lower()] = cls.__returning__
    return found


@functools.cache
def _response_type(method: str) -> Any:
    returning = _aiogram_method_types().get(method.lower())
    if returning is None:
        raise NonConformant(f"aiogram knows no Bot API method {method!r}")
    return Response[returning]  # type: ignore[valid-type]


def _unknown_fields(value: Any, path: str = "") -> Iterator[str]:
    """Fields aiogram kept as extras: Bot API 10.3 has no such field there."""
    if isinstance(value, BaseModel):
        for key in value.model_extra or {}:
            yield f"{path}.{key}".lstrip(".")
        for key in value.model_fields_set:  # only what was received, not all 100+ defaults
            yield from _unknown_fields(getattr(value, key), f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _unknown_fields(item, f"{path}[{index}]")


def _check_aiogram(kind: str, obj: Any) -> None:
    context = {"bot": _aiogram_bot()}
    try:
        if kind == "update":
            parsed: BaseModel = AiogramUpdate.model_validate(obj, context=context)
        elif kind == "error":
            parsed = Response[Any].model_validate(obj, context=context)
        else:
            parsed = _response_type(kind).model_validate(
                {"ok": True, "result": obj}, context=context
            )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise NonConformant(f"aiogram refuses {kind}: {error}") from error
    unknown = list(_unknown_fields(parsed))
    if unknown:
        raise NonConformant(f"aiogram does not know {kind} fields {unknown}")


# What python-telegram-bot builds from each method's result: (class, a list of them?).
_PTB_RESULTS: dict[str, tuple[Any, bool]] = {
    "getme": (telegram.User, False),
    "getupdates": (telegram.Update, True),
    "getwebhookinfo": (telegram.WebhookInfo, False),
    "sendmessage": (telegram.Message, False),
    "editmessagetext": (telegram.Message, False),
    "getchat": (telegram.ChatFullInfo, False),
    "getchatmember": (telegram.ChatMember, False),
    "getchatadministrators": (telegram.ChatMember, True),
    "createchatinvitelink": (telegram.ChatInviteLink, False),
    "editchatinvitelink": (telegram.ChatInviteLink, False),
    "revokechatinvitelink": (telegram.ChatInviteLink, False),
    "getmycommands": (telegram.BotCommand, True),
    "getchatmenubutton": (telegram.MenuButton, False),
}
_PLAIN = (bool, int, str)


def _check_ptb(kind: str, obj: Any) -> None:
    try:
        if kind == "update":
            telegram.Update.de_json(obj, None)
            return
        if kind == "error":
            if not isinstance(obj.get("description"), str):
                raise TypeError("an error has a description")
            return
        shape = _PTB_RESULTS.get(kind.lower())
        if shape is None:
            if not isinstance(obj, _PLAIN):
                raise TypeError(f"no python-telegram-bot type known for {kind}'s result")
            return
        cls, many = shape
        if many:
            if not isinstance(obj, list):
                raise TypeError(f"{kind} returns an array")
            cls.de_list(obj, None)
        else:
            cls.de_json(obj, None)
    except (TypeError, ValueError, KeyError) as error:
        raise NonConformant(f"python-telegram-bot refuses {kind}: {error}") from error


def check(kind: str, obj: Any) -> None:
    """Raise ``NonConformant`` unless both libraries accept ``obj`` (see ``observe``)."""
    _check_aiogram(kind, obj)
    _check_ptb(kind, obj)


class ConformanceChecker:
    """An observer (``Sandbox(on_emit=...)``) that records what the libraries refuse."""

    def __init__(self, checker: Callable[[str, Any], None] = check) -> None:
        self.checker = checker
        self.checked = 0
        self.failures: list[str] = []

    def __call__(self, kind: str, obj: Any) -> None:
        self.checked += 1
        try:
            self.checker(kind, obj)
        except NonConformant as failure:
            shown = json.dumps(obj, ensure_ascii=False, default=str)[:600]
            self.failures.append(f"{failure}\n    emitted: {shown}")

    def assert_conformant(self) -> None:
        if self.failures:
            raise NonConformant(
                f"{len(self.failures)} emitted object(s) refused:\n" + "\n".join(self.failures)
            )


@pytest.fixture(autouse=True)
def telegram_conformance() -> Iterator[ConformanceChecker]:
    """Check every object any sandbox emits during the test; error at teardown if refused."""
    checker = ConformanceChecker()
    with observing_every_world(checker):
        yield checker
    if checker.failures:
        pytest.fail(str(NonConformant("\n".join(checker.failures))), pytrace=False)
