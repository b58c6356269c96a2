"""The fetcher that keeps Telegram's key set fresh from ``oauth.telegram.org``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final

from tgpass.errors import ConfigError, TelegramTransient

from ._keys import JWKS_URL, TELEGRAM_ISSUER, LoginKeySet
from ._validate import DEFAULT_LEEWAY, TelegramLoginToken, token_key_id, validate_login_token

if TYPE_CHECKING:
    import httpx

REFRESH_AFTER: Final = 3600.0
"""Seconds a fetched key set is used before it is fetched again (a key may be withdrawn)."""
MIN_FETCH_INTERVAL: Final = 60.0
"""Seconds at least between two fetches, whatever tokens arrive naming unknown keys."""


def _unreachable(message: str) -> TelegramTransient:
    return TelegramTransient(message, method="jwks", code="issuer_unreachable")


class TelegramLoginKeys:
    """Telegram's key set, fetched when first needed and kept.

    It is fetched again after ``refresh_after`` seconds, and at once when a token names a
    key it does not hold (Telegram rotated its keys), but never twice within
    ``min_interval`` seconds, so that tokens naming made-up keys cannot make it hammer
    Telegram. When a refresh fails, the keys held stay in use if they hold the key asked
    for; otherwise the failure is a ``TelegramTransient`` (try again later).

    httpx is imported only here, when the first fetch happens; pass ``client`` (an
    ``httpx.AsyncClient`` of yours, left open) or ``transport`` (tests) to choose how.
    ``clock`` is monotonic seconds.

    >>> keys = TelegramLoginKeys()                                       # doctest: +SKIP
    >>> login = await keys.validate(id_token, client_id=bot_id, nonce=n) # doctest: +SKIP
    """

    def __init__(
        self,
        url: str = JWKS_URL,
        *,
        issuer: str = TELEGRAM_ISSUER,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        refresh_after: float = REFRESH_AFTER,
        min_interval: float = MIN_FETCH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client is not None and transport is not None:
            raise ConfigError("give TelegramLoginKeys a client or a transport, not both")
        self.url = url
        self.issuer = issuer
        self.timeout = timeout
        self.refresh_after = refresh_after
        self.min_interval = min_interval
        self.clock = clock
        self._client = client
        self._owns_client = client is None
        self._transport = transport
        self._keys: LoginKeySet | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0
        """How many times the key set was asked for (tests and metrics read it)."""

    async def __aenter__(self) -> TelegramLoginKeys:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get(self) -> LoginKeySet:
        """The key set, fetched if none is held or it is older than ``refresh_after``."""
        return await self._current(None)

    async def key_set_for(self, kid: str) -> LoginKeySet:
        """The key set, fetched again first if it lacks ``kid`` (and the last fetch is more
        than ``min_interval`` seconds old)."""
        return await self._current(kid)

    async def validate(
        self,
        id_token: str,
        client_id: str | int,
        *,
        nonce: str | None = None,
        max_age: float | None = None,
        now: float | datetime | None = None,
        leeway: float = DEFAULT_LEEWAY,
    ) -> TelegramLoginToken:
        """Look up the key the token names (fetching Telegram's keys if needed), then
        ``validate_login_token`` with this object's issuer."""
        keys = await self.key_set_for(token_key_id(id_token))
        return validate_login_token(
            id_token,
            client_id,
            keys,
            nonce=nonce,
            max_age=max_age,
            now=now,
            issuer=self.issuer,
            leeway=leeway,
        )

    def _usable(self, kid: str | None) -> LoginKeySet | None:
        keys = self._keys
        if keys is None or self.clock() - self._fetched_at >= self.refresh_after:
            return None
        if kid is not None and kid not in keys:
            return None
        return keys

    async def _current(self, kid: str | None) -> LoginKeySet:
        usable = self._usable(kid)
        if usable is not None:
            return usable
        async with self._lock:  # one fetch for every token waiting on it
            usable = self._usable(kid)
            if usable is not None:
                return usable
            held = self._keys
            attempted = self._attempted_at
            if attempted is not None and self.clock() - attempted < self.min_interval:
                if held is not None:
                    return held  # the token's key is missing: validation will say so
                raise _unreachable(
                    "Telegram's keys could not be fetched a moment ago; try again shortly"
                )
            try:
                return await self._fetch()
            except TelegramTransient:
                if held is not None and (kid is None or kid in held):
                    return held  # a failed refresh: the keys held still serve
                raise

    async def _fetch(self) -> LoginKeySet:
        import httpx

        self._attempted_at = self.clock()
        self.fetches += 1
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport, timeout=self.timeout, follow_redirects=False
            )
        try:
            response = await self._client.get(self.url, headers={"Accept": "application/json"})
        except httpx.HTTPError as failed:
            raise _unreachable(
                f"Telegram's keys could not be fetched ({type(failed).__name__})"
            ) from None
        if response.status_code != 200:
            raise _unreachable(f"Telegram's key set answered HTTP {response.status_code}")
        try:
            keys = LoginKeySet(response.content)
        except ConfigError as bad:
            raise TelegramTransient(
                f"Telegram's key set is unusable: {bad.message}", method="jwks", code="issuer_error"
            ) from None
        self._keys = keys
        self._fetched_at = self.clock()
        return keys
