"""Run the sandbox in-process: ``async with Sandbox() as sb`` gives a live Bot API URL."""

from __future__ import annotations

import asyncio
import socket
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from .app import SandboxState, create_app
from .world import World


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LoopbackServer:
    """Any ASGI app served by uvicorn on a loopback port, for as long as the block runs."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port or free_port()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def __aenter__(self) -> LoopbackServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class Sandbox:
    """An offline Telegram on a loopback port, for tests and local development.

    ``bot_api_base`` is what python-telegram-bot takes as ``base_url``
    (``Bot(token, base_url=sb.bot_api_base)``); ``users`` acts as Telegram users.
    """

    def __init__(self, world: World | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.world = world or World()
        self.state = SandboxState(self.world)
        self.app = create_app(self.state)
        self.server = LoopbackServer(self.app, host=host, port=port)
        self.users: SandboxUsers | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def bot_api_base(self) -> str:
        return f"{self.url}/bot"

    async def __aenter__(self) -> Sandbox:
        await self.server.start()
        self.users = SandboxUsers(httpx.AsyncClient(base_url=f"{self.url}/sandbox/api"))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.users is not None:
            await self.users.http.aclose()
        await self.state.webhooks.close()
        await self.server.stop()


class SandboxUsers:
    """The users' side of a running sandbox, over its JSON control API."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    async def create_user(self, first_name: str, **details: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._post("/users", {"first_name": first_name, **details})
        return result

    async def create_bot(self, username: str, **details: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._post("/bots", {"username": username, **details})
        return result

    async def start(self, user_id: int, bot: str, payload: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._post(
            f"/users/{user_id}/start", {"bot": bot, "payload": payload}
        )
        return result

    async def send(self, user_id: int, bot: str, text: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._post(
            f"/users/{user_id}/messages", {"bot": bot, "text": text}
        )
        return result

    async def dialog(self, user_id: int, bot: str) -> dict[str, Any]:
        response = await self.http.get(f"/users/{user_id}/dialogs/{bot}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result
