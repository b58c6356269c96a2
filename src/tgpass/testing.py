"""Helpers for your own tests: signed payloads and a clock you control.

>>> from tgpass.testing import FrozenClock, make_init_data, TEST_BOT_TOKEN
>>> clock = FrozenClock(1_700_000_000)
>>> raw = make_init_data({"id": 42, "first_name": "Ada"}, auth_date=int(clock()))
>>> validate_init_data(raw, TEST_BOT_TOKEN, now=clock()).user.id  # doctest: +SKIP
42
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime

from .verify import sign_init_data, sign_login_widget

TEST_BOT_TOKEN = "123456789:AAtgpass-test-token_not-a-real-bot"  # noqa: S105 (fake)
"""A well-formed bot token that belongs to no real bot."""

DEFAULT_USER: Mapping[str, object] = {
    "id": 5_000_000_001,  # above 2**32, as real ids are
    "first_name": "Test",
    "last_name": "User",
    "username": "test_user",
    "language_code": "en",
}


class FrozenClock:
    """A clock that stands still until told: pass it where tgpass takes ``clock`` or ``now``."""

    def __init__(self, now: float | None = None) -> None:
        self.now = float(time.time() if now is None else now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_init_data(
    user: Mapping[str, object] | None = DEFAULT_USER,
    *,
    bot_token: str = TEST_BOT_TOKEN,
    auth_date: int | datetime | None = None,
    **fields: object,
) -> str:
    """Mini App init data for ``user``, signed with ``bot_token``, dated now unless told."""
    signed: dict[str, object] = {"query_id": "AAHtgpassTEST", **fields}
    if user is not None:
        signed["user"] = user
    when = int(time.time()) if auth_date is None else auth_date
    return sign_init_data(signed, bot_token, auth_date=when)


def make_widget_login(
    user: Mapping[str, object] = DEFAULT_USER,
    *,
    bot_token: str = TEST_BOT_TOKEN,
    auth_date: int | datetime | None = None,
) -> dict[str, str]:
    """The fields the Login Widget would hand a website for ``user``."""
    widget_fields = ("id", "first_name", "last_name", "username", "photo_url")
    values = {key: user[key] for key in widget_fields if key in user}
    when = int(time.time()) if auth_date is None else auth_date
    return sign_login_widget(values, bot_token, auth_date=when)
