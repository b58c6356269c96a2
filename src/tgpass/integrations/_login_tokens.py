"""Telegram Login ID tokens as ``Bearer`` credentials, over ``tgpass.login_token``.

joserfc (the ``login-token`` extra) is imported when a ``LoginTokens`` is made, not before,
so that a site taking only init data never needs it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from tgpass.errors import ConfigError

if TYPE_CHECKING:
    from tgpass.login_token import LoginKeySet, TelegramLoginKeys, TelegramLoginToken

T = TypeVar("T")
SYNC_TIMEOUT = 15.0
"""Seconds a synchronous check waits for Telegram's keys to be fetched."""


class LoginTokens:
    """Checks ID tokens issued to any of ``client_ids`` (the bots' ids, Telegram Login's
    client ids) with ``keys``: a JWKS (mapping or JSON text), a ``LoginKeySet``, or a
    ``TelegramLoginKeys``; by default Telegram's published keys, fetched when first needed.

    ``check`` serves synchronous frameworks (Flask, Django): with keys to fetch, it runs the
    fetch on an event loop of its own, in a thread started on first need. ``clock`` is unix
    seconds; ``max_age`` refuses tokens issued longer ago, whatever their ``exp``.
    """

    def __init__(
        self,
        client_ids: Sequence[str | int],
        keys: LoginKeySet | TelegramLoginKeys | Mapping[str, Any] | str | bytes | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_age: float | None = None,
    ) -> None:
        from tgpass.login_token import LoginKeySet, TelegramLoginKeys

        if isinstance(client_ids, str | int) or not client_ids:
            raise ConfigError("the client ids are a list of bot ids")
        ids = [str(value) for value in client_ids]
        if not all(value.isascii() and value.isdigit() for value in ids):
            raise ConfigError("a client id is a bot id: digits only")
        self.client_ids = tuple(ids)
        if keys is None:
            keys = TelegramLoginKeys()
        elif not isinstance(keys, LoginKeySet | TelegramLoginKeys):
            keys = LoginKeySet(keys)  # read once, not for every token
        self.keys: LoginKeySet | TelegramLoginKeys = keys
        self.clock = clock
        self.max_age = max_age
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()

    def check(self, id_token: str) -> TelegramLoginToken:
        """The checked token, or ``InvalidAuthData``; waits for keys to be fetched if need be."""
        from tgpass.login_token import LoginKeySet, validate_login_token

        if isinstance(self.keys, LoginKeySet):
            return validate_login_token(
                id_token,
                self._client_id(id_token),
                self.keys,
                now=self.clock(),
                max_age=self.max_age,
            )
        return self._run(self._fetched(id_token))

    async def check_async(self, id_token: str) -> TelegramLoginToken:
        from tgpass.login_token import LoginKeySet

        if isinstance(self.keys, LoginKeySet):
            return self.check(id_token)
        if self._loop is not None:  # the keys' HTTP client lives on that loop: stay there
            future = asyncio.run_coroutine_threadsafe(self._fetched(id_token), self._loop)
            return await asyncio.wrap_future(future)
        return await self._fetched(id_token)

    async def _fetched(self, id_token: str) -> TelegramLoginToken:
        from tgpass.login_token import TelegramLoginKeys

        assert isinstance(self.keys, TelegramLoginKeys)
        return await self.keys.validate(
            id_token, self._client_id(id_token), now=self.clock(), max_age=self.max_age
        )

    def _client_id(self, id_token: str) -> str:
        """The configured client id the token names as its audience; the signed check
        that follows refuses it if that was a lie."""
        for audience in _unverified_audiences(id_token):
            if audience in self.client_ids:
                return audience
        return self.client_ids[0]

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        with self._loop_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="tgpass-login-keys", daemon=True
                )
                thread.start()
                self._loop = loop
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(SYNC_TIMEOUT)


def _unverified_audiences(id_token: str) -> list[str]:
    """The ``aud`` claim, read without any check: only to pick the client id to check for."""
    parts = id_token.split(".") if isinstance(id_token, str) else []
    if len(parts) != 3 or len(parts[1]) > 16384:
        return []
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, binascii.Error, RecursionError):
        return []
    audience = claims.get("aud") if isinstance(claims, dict) else None
    values = audience if isinstance(audience, list) else [audience]
    return [str(value) for value in values if isinstance(value, str | int)]
