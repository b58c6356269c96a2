"""A site's event endpoint on a loopback port (aiohttp): it records every request it gets
and answers what the test tells it to; and an endpoint that takes the connection and never
answers. A delivery is checked as a site would check it, with ``standardwebhooks`` and with
svix's verifier."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import standardwebhooks.webhooks
import svix.webhooks
from aiohttp import web

from tgpass.sandbox.server import free_port


@dataclass(frozen=True)
class Received:
    """One request as the endpoint got it, and the status it answered."""

    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes
    at: float
    status: int

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def timestamp(self) -> int:
        return int(self.headers["webhook-timestamp"])

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def verify(self, secret: str) -> dict[str, Any]:
        """The body, once both libraries accept the signature by ``secret``; raises
        ``WebhookVerificationError`` (theirs) otherwise."""
        payload: dict[str, Any] = standardwebhooks.webhooks.Webhook(secret).verify(
            self.body, self.headers
        )
        svix.webhooks.Webhook(secret).verify(self.body, self.headers)
        return payload


Answer = Callable[["Received"], "int | tuple[int, dict[str, str]]"]
"""The status (and headers) to answer a request with (``Received.status`` is 0 then), or
``HOLD``: never answer (the request is kept with status 0)."""
HOLD = -1


def always(status: int) -> Answer:
    return lambda _request: status


@dataclass
class Receiver:
    """``async with Receiver() as r``: ``r.url`` takes POSTs at ``/hook``."""

    answer: Answer = field(default_factory=lambda: always(204))
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        asked = self.answer(Received(headers, body, time.time(), 0))
        status, extra = asked if isinstance(asked, tuple) else (asked, {})
        if status == HOLD:
            self.received.append(Received(headers, body, time.time(), 0))
            self._arrived.set()
            await asyncio.Event().wait()  # until the server stops
        self.received.append(Received(headers, body, time.time(), status))
        self._arrived.set()
        return web.Response(status=status, headers=extra)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        # a held request must not hold the stop for the default minute
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what arrived ------------------------------------------------------------------------

    def accepted(self) -> list[Received]:
        """The requests answered 2xx, in the order they came."""
        return [r for r in self.received if 200 <= r.status < 300]

    def accepted_ids(self) -> Counter[str]:
        return Counter(r.id for r in self.accepted())

    async def wait_for(self, done: Callable[[Receiver], bool], *, seconds: float = 20.0) -> None:
        """Until ``done(self)``; fails with what arrived when it does not come in time."""
        deadline = time.monotonic() + seconds
        while not done(self):
            left = deadline - time.monotonic()
            assert left > 0, f"not in time: {len(self.received)} requests, {self.accepted_ids()}"
            self._arrived.clear()
            try:
                async with asyncio.timeout(min(left, 0.2)):
                    await self._arrived.wait()
            except TimeoutError:
                pass

    async def wait_accepted(self, ids: set[str] | int, *, seconds: float = 20.0) -> None:
        """Until every id in ``ids`` (or that many distinct ids) was answered 2xx."""
        if isinstance(ids, int):
            count = ids
            await self.wait_for(lambda r: len(r.accepted_ids()) >= count, seconds=seconds)
        else:
            wanted = set(ids)
            await self.wait_for(lambda r: wanted <= set(r.accepted_ids()), seconds=seconds)


class SilentEndpoint:
    """Takes connections and reads what comes, never answering: a dead site."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _take(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._open.add(writer)
        try:
            while await reader.read(65536):
                pass
        finally:
            self._open.discard(writer)
            writer.close()

    async def __aenter__(self) -> SilentEndpoint:
        self._server = await asyncio.start_server(self._take, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._open):
                writer.close()
            await self._server.wait_closed()
