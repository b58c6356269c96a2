"""Run the sandbox in-process: ``async with Sandbox() as sb`` gives a live Bot API URL."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal, cast

import httpx
import uvicorn

from .app import create_app
from .observe import Observer
from .oidc_http import PREFIX as OIDC_PREFIX
from .state import SandboxState
from .world import World

Json = dict[str, Any]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside someone else's event loop: signals stay with the program, which stops
    its servers in order (the sandbox answers its long polls before it goes)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LoopbackServer:
    """Any ASGI app served by uvicorn on a loopback port, for as long as the block runs."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        lifespan: Literal["on", "off"] = "off",
        drain: int = 1,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port or free_port()
        self.lifespan = lifespan
        self.drain = drain
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan=self.lifespan,
            # the longest a stop waits for requests in flight: a long poll left open by a
            # stopped client must not hold it for the poll's whole timeout
            timeout_graceful_shutdown=self.drain,
        )
        self._server = _EmbeddedServer(config)
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
    ``on_emit(kind, obj)`` is called with every update queued and every Bot API answer
    (see ``observe``); tests check them against the client libraries.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_emit: Observer | None = None,
    ):
        self.world = world or World()
        if on_emit is not None:  # called with every update queued and every answer given
            self.world.observers.add(on_emit)
        port = port or free_port()
        issuer = f"http://{host}:{port}{OIDC_PREFIX}"
        self.state = SandboxState(self.world, oidc_issuer=issuer)
        self.app = create_app(self.state)
        self.server = LoopbackServer(self.app, host=host, port=port)
        self.users: SandboxUsers | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def bot_api_base(self) -> str:
        return f"{self.url}/bot"

    @property
    def oidc_issuer(self) -> str:
        """Telegram Login's OpenID Connect issuer here (``https://oauth.telegram.org`` in
        production): discovery at ``<issuer>/.well-known/openid-configuration``."""
        return f"{self.url}{OIDC_PREFIX}"

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
        await self.state.close()
        await self.server.stop()


class SandboxUsers:
    """The users' side of a running sandbox, over its JSON control API.

    Each method is one endpoint of ``/sandbox/api``; failures raise ``httpx.HTTPStatusError``
    carrying the ``{"error": {...}}`` answer.
    """

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    # building the world

    async def create_user(self, first_name: str, **details: Any) -> Json:
        return cast(Json, await self._call("POST", "/users", {"first_name": first_name, **details}))

    async def create_bot(self, username: str, **details: Any) -> Json:
        return cast(Json, await self._call("POST", "/bots", {"username": username, **details}))

    async def create_chat(self, title: str, owner_id: int, **details: Any) -> Json:
        body = {"title": title, "owner_id": owner_id, **details}
        return cast(Json, await self._call("POST", "/chats", body))

    async def add_bot_to_chat(
        self, chat_id: int, bot_id: int, admin_rights: dict[str, bool] | None = None
    ) -> Json:
        body = {"bot_id": bot_id, "admin_rights": admin_rights}
        return cast(Json, await self._call("POST", f"/chats/{chat_id}/bots", body))

    async def add_member(self, chat_id: int, user_id: int) -> Json:
        return cast(
            Json, await self._call("POST", f"/chats/{chat_id}/members", {"user_id": user_id})
        )

    async def chat(self, chat_id: int) -> Json:
        return cast(Json, await self._call("GET", f"/chats/{chat_id}"))

    async def set_guard_bot(self, chat_id: int, bot_id: int | None) -> Json:
        """Assign the bot that processes the chat's join request queries (Bot API 10.1)."""
        body = {"bot_id": bot_id}
        return cast(Json, await self._call("PUT", f"/chats/{chat_id}/guard_bot", body))

    async def upgrade_group(self, chat_id: int, user_id: int | None = None) -> Json:
        """Upgrade a basic group; the answer is the supergroup, with ``migrate_from_chat_id``."""
        body = {"user_id": user_id}
        return cast(Json, await self._call("POST", f"/chats/{chat_id}/upgrade", body))

    # acting as a user

    async def open_link(self, user_id: int, url: str) -> Json:
        return cast(Json, await self._call("POST", f"/users/{user_id}/open", {"url": url}))

    async def start(self, user_id: int, bot: str, payload: str | None = None) -> Json:
        body = {"bot": bot, "payload": payload}
        return cast(Json, await self._call("POST", f"/users/{user_id}/start", body))

    async def send(self, user_id: int, bot: str, text: str) -> Json:
        body = {"bot": bot, "text": text}
        return cast(Json, await self._call("POST", f"/users/{user_id}/messages", body))

    async def press(self, user_id: int, bot: str, text: str, message_id: int = 0) -> Json:
        body = {"bot": bot, "text": text, "message_id": message_id}
        return cast(Json, await self._call("POST", f"/users/{user_id}/press", body))

    async def share_contact(self, user_id: int, bot: str) -> Json:
        return cast(Json, await self._call("POST", f"/users/{user_id}/contact", {"bot": bot}))

    async def share_chat(
        self,
        user_id: int,
        bot: str,
        request_id: int,
        *,
        chat_id: int | None = None,
        new_title: str | None = None,
    ) -> Json:
        """Answer the bot's request_chat button: an existing chat, or a new one."""
        body = {"bot": bot, "request_id": request_id, "chat_id": chat_id, "new_title": new_title}
        return cast(Json, await self._call("POST", f"/users/{user_id}/share_chat", body))

    async def open_mini_app(self, user_id: int, bot: str, start_param: str | None = None) -> Json:
        body = {"bot": bot, "start_param": start_param}
        return cast(Json, await self._call("POST", f"/users/{user_id}/mini_app", body))

    async def open_invite(self, user_id: int, invite_link: str) -> Json:
        body = {"invite_link": invite_link}
        return cast(Json, await self._call("POST", f"/users/{user_id}/invites", body))

    async def leave(self, user_id: int, chat_id: int) -> Json:
        return cast(Json, await self._call("POST", f"/users/{user_id}/leave", {"chat_id": chat_id}))

    async def block(self, user_id: int, bot: str) -> Json:
        return cast(Json, await self._call("POST", f"/users/{user_id}/block", {"bot": bot}))

    async def unblock(self, user_id: int, bot: str) -> Json:
        return cast(Json, await self._call("POST", f"/users/{user_id}/unblock", {"bot": bot}))

    async def widget_login(self, user_id: int, bot: str) -> dict[str, str]:
        body = {"bot": bot}
        return cast(
            dict[str, str], await self._call("POST", f"/users/{user_id}/widget_login", body)
        )

    # Telegram Login (OpenID Connect at ``Sandbox.oidc_issuer``)

    async def bot_oidc(self, bot_id: int) -> Json:
        """The bot as a client: ``{"client_id", "client_secret", "redirect_uris",
        "algorithm"}``."""
        return cast(Json, await self._call("GET", f"/bots/{bot_id}/oidc"))

    async def set_bot_oidc(
        self,
        bot_id: int,
        *,
        redirect_uris: list[str] | None = None,
        algorithm: str | None = None,
    ) -> Json:
        """Replace the bot's allowed redirect URLs and/or its ID token algorithm (RS256,
        ES256, EdDSA, ES256K)."""
        body = {"redirect_uris": redirect_uris, "algorithm": algorithm}
        return cast(Json, await self._call("PUT", f"/bots/{bot_id}/oidc", body))

    async def oidc_keys(self) -> list[Json]:
        """The published signing keys: ``{"kid", "alg", "created_at", "retire_at",
        "current"}``."""
        return cast(list[Json], await self._call("GET", "/oidc/keys"))

    async def rotate_oidc_keys(
        self, algorithm: str | None = None, *, overlap_seconds: float | None = None
    ) -> Json:
        """New signing keys (for ``algorithm``, or all); the old ones stay published for
        ``overlap_seconds`` (an hour unless told). ``{"rotated": [kids], "keys": [...]}``."""
        body: Json = {"algorithm": algorithm}
        if overlap_seconds is not None:
            body["overlap_seconds"] = overlap_seconds
        return cast(Json, await self._call("POST", "/oidc/rotate", body))

    async def oidc_login_request(self, request_id: str) -> Json:
        """A login request waiting on the phone: bot, site ``origin``, ``scopes``."""
        return cast(Json, await self._call("GET", f"/oidc/requests/{request_id}"))

    async def approve_oidc_login(
        self,
        user_id: int,
        *,
        request_id: str | None = None,
        authorize_url: str | None = None,
        share_phone_number: bool = False,
        write_allowed: bool = True,
    ) -> Json:
        """The user logs in to the site that sent the browser to ``authorize_url`` (or that
        made the waiting ``request_id``): ``{"kind": "url", "url": <redirect_uri with code
        and state>}``, or with ``error`` if the site's request was refused."""
        body = {
            "request_id": request_id,
            "authorize_url": authorize_url,
            "share_phone_number": share_phone_number,
            "write_allowed": write_allowed,
        }
        return cast(Json, await self._call("POST", f"/users/{user_id}/oidc/approve", body))

    async def decline_oidc_login(
        self, user_id: int, *, request_id: str | None = None, authorize_url: str | None = None
    ) -> Json:
        """The user declines: ``{"kind": "url", "url": <redirect_uri>?error=access_denied}``."""
        body = {"request_id": request_id, "authorize_url": authorize_url}
        return cast(Json, await self._call("POST", f"/users/{user_id}/oidc/decline", body))

    # reading

    async def list_users(self) -> list[Json]:
        return cast(list[Json], await self._call("GET", "/users"))

    async def chats(self, user_id: int) -> list[Json]:
        return cast(list[Json], await self._call("GET", f"/users/{user_id}/chats"))

    async def dialog(self, user_id: int, bot: str) -> Json:
        return cast(Json, await self._call("GET", f"/users/{user_id}/dialogs/{bot}"))

    async def received(
        self, user_id: int, bot: str | None = None, *, since: float | None = None
    ) -> list[Json]:
        """What the user received in private from ``bot`` (or every bot), oldest first:
        ``{"bot", "message_id", "chat_id", "date" (float seconds), "text", "paid_broadcast"}``."""
        query: dict[str, Any] = {}
        if bot is not None:
            query["bot"] = bot
        if since is not None:
            query["since"] = since
        response = await self.http.get(f"/users/{user_id}/received", params=query)
        response.raise_for_status()
        return cast(list[Json], response.json())

    async def callback_answer(self, callback_query_id: str) -> Json:
        return cast(Json, await self._call("GET", f"/callback_queries/{callback_query_id}"))

    async def info(self) -> Json:
        return cast(Json, await self._call("GET", "/info"))

    # limits and faults

    async def set_limits(self, **limits: Any) -> Json:
        """Replace the flood limits: Telegram's for what is left out; ``scale=0.1`` makes every
        rate ten times stricter; ``enabled=False`` turns them off."""
        return cast(Json, await self._call("PUT", "/limits", limits))

    async def limits(self) -> Json:
        return cast(Json, await self._call("GET", "/limits"))

    async def set_faults(self, bot_id: int = 0, **faults: Any) -> Json:
        """Faults for one bot or, with ``bot_id`` 0, every bot: ``error_rate`` (share of 500s),
        ``flood_seconds`` (every call answers 429 for that long), ``latency``,
        ``webhook_failures``, ``webhook_failure_rate``. They apply to sendMessage too."""
        return cast(Json, await self._call("PUT", "/faults", {"bot_id": bot_id, **faults}))

    async def clear_faults(self) -> Json:
        return cast(Json, await self._call("DELETE", "/faults"))
