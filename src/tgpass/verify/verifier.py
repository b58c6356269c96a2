"""One object for a service that serves several bots: keys derived once, signer reported."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tgpass.errors import ConfigError

from ._clock import DEFAULT_MAX_AGE, DEFAULT_MAX_SKEW, check_age, parse_auth_date
from ._fields import split_fields
from ._signing import decode_signature, ed25519_signer, hmac_checked
from .init_data import build_init_data
from .keys import TELEGRAM_PUBLIC_KEY, BotKeys, derive_bot_keys, ed25519_public_key
from .login_widget import WidgetData, build_login, widget_fields
from .models import InitData, TelegramLogin

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Verified(Generic[T]):
    """Checked data and the id of the bot it was signed for."""

    bot_id: int
    data: T


class Verifier:
    """Checks Mini App and Login Widget data for any of several bots.

    >>> verifier = Verifier([token_a, token_b], max_age=3600)   # doctest: +SKIP
    >>> verifier.init_data(raw).bot_id                          # doctest: +SKIP
    """

    def __init__(
        self,
        bot_tokens: Iterable[str],
        *,
        max_age: float | None = DEFAULT_MAX_AGE,
        max_skew: float = DEFAULT_MAX_SKEW,
        public_key: str | bytes = TELEGRAM_PUBLIC_KEY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        bots = tuple(derive_bot_keys(token) for token in bot_tokens)
        if not bots:
            raise ConfigError("a Verifier needs at least one bot token")
        ids = [bot.bot_id for bot in bots]
        if len(set(ids)) != len(ids):
            raise ConfigError("two bot tokens belong to the same bot")
        self._bots: tuple[BotKeys, ...] = bots
        self._web_app = tuple((bot.bot_id, bot.web_app) for bot in bots)
        self._login_widget = tuple((bot.bot_id, bot.login_widget) for bot in bots)
        self._public_key = ed25519_public_key(public_key)
        self.max_age = max_age
        self.max_skew = max_skew
        self.clock = clock

    @property
    def bot_ids(self) -> tuple[int, ...]:
        return tuple(bot.bot_id for bot in self._bots)

    def init_data(self, raw: str) -> Verified[InitData]:
        """Mini App init data, checked with the bot-token HMAC of whichever bot signed it."""
        fields = split_fields(raw)
        bot_id, auth_date = hmac_checked(fields, self._web_app)
        self._check_age(auth_date)
        return Verified(bot_id, build_init_data(fields, auth_date))

    def init_data_signature(self, raw: str) -> Verified[InitData]:
        """Mini App init data, checked with Telegram's Ed25519 signature (no token needed)."""
        fields = split_fields(raw)
        auth_date = parse_auth_date(fields.get("auth_date"))
        bot_id = ed25519_signer(fields, decode_signature(fields), self.bot_ids, self._public_key)
        self._check_age(auth_date)
        return Verified(bot_id, build_init_data(fields, auth_date))

    def login_widget(self, data: WidgetData) -> Verified[TelegramLogin]:
        """Login Widget or LoginUrl fields, checked against each bot's widget secret."""
        fields = widget_fields(data)
        bot_id, auth_date = hmac_checked(fields, self._login_widget)
        self._check_age(auth_date)
        return Verified(bot_id, build_login(fields, auth_date))

    def _check_age(self, auth_date: int) -> None:
        check_age(auth_date, max_age=self.max_age, max_skew=self.max_skew, now=self.clock())
