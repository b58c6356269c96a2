"""python-telegram-bot's HTTP transport on aiohttp. PTB's own (httpx) made about 300 calls a
second on these machines; aiohttp makes thousands, which the outbox needs at paid-broadcast
rates (1000/s). PTB still does everything else: the methods, the models, the errors."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        connections: int = 256,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self._connections = connections
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            # no cookies in the Bot API: a jar would only cost time on every call
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @staticmethod
    def _seconds(value: Any, default: float) -> float | None:
        return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            await self.initialize()  # PTB lets a call come before initialize()
        assert self._session is not None
        if request_data is not None and request_data.contains_files:
            raise NetworkError("tgpass sends no files")
        connect = self._seconds(connect_timeout, self._connect_timeout)
        pool = self._seconds(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=self._seconds(read_timeout, self._read_timeout),
        )
        try:
            async with self._session.request(
                method,
                url,
                data=request_data.json_parameters if request_data else None,
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # asyncio's and aiohttp's timeouts
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
