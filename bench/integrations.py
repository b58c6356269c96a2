"""What each framework integration costs a request, against the same framework's bare endpoint.

Run: python -m bench.integrations

For every framework two apps answer ``GET /me`` with the same small JSON: a bare one that
ignores the ``Authorization`` header, and one behind tgpass's integration, which verifies
the header and answers the user's id. Both get the same request, with the same init data
every time (the integration's cached path, as a Mini App sending its init data with every
call). Nothing goes over a network: ASGI apps are called in-process by a raw ASGI loop,
Flask and Django through their WSGI callables, aiohttp through its application's request
handler. Each short round times the three apps in turn, and the table shows each app's best
round (its time per request least disturbed by other processes: on a shared machine the
median moves by tens of percent from run to run, the best round by a few) and the ratios of
throughputs (1.00 is free). Target: an ASGI integration keeps at least 0.80 of the bare
endpoint's throughput.

Annotations are evaluated here (no ``from __future__ import annotations``): FastAPI and
Litestar read the handlers' parameters from them, and the handlers are made in functions.
"""

import argparse
import asyncio
import io
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from tgpass import sign_init_data

TOKEN = "7000000004:AAF-benchmark-token-for-integrations"
ID = 5_000_000_001
USER = {"id": ID, "first_name": "Ada", "last_name": "Lovelace", "username": "ada"}
INIT_DATA = sign_init_data(
    {"query_id": "AAH-bench", "user": USER}, TOKEN, auth_date=int(time.time())
)
HEADER = f"tma {INIT_DATA}"
ASGI_TARGET = 0.80
Run = Callable[[int], Awaitable[None]]
"""Answers ``n`` requests, checking that the last one was a 200 naming the user."""


# -- drivers: one request, in-process ------------------------------------------------------


def asgi_runner(app: Any) -> Run:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/me",
        "raw_path": b"/me",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"authorization", HEADER.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
        "state": {},
    }
    request = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    async def run(n: int) -> None:
        sent: list[dict[str, Any]] = []
        for _ in range(n):
            sent.clear()
            await app(dict(scope), receive, _collect(sent))
        _check(sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]))

    return run


def _collect(sent: list[dict[str, Any]]) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return send


def wsgi_runner(app: Callable[..., Any]) -> Run:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/me", headers={"Authorization": HEADER}).get_environ()
    status: list[str] = []

    def start_response(line: str, headers: list[Any], exc_info: Any = None) -> None:
        status.append(line)

    async def run(n: int) -> None:
        body = b""
        for _ in range(n):
            status.clear()
            once = dict(environ, **{"wsgi.input": io.BytesIO()})
            answer = app(once, start_response)
            body = b"".join(answer)
            getattr(answer, "close", lambda: None)()
        _check(int(status[0].split()[0]), body)

    return run


async def aiohttp_runner(app: Any) -> Run:
    from aiohttp.test_utils import make_mocked_request

    app.freeze()
    await app.startup()
    # made once: a mocked request is slow to make, and the server would parse it anyway
    request = make_mocked_request("GET", "/me", headers={"Authorization": HEADER}, app=app)
    request._match_info = await app.router.resolve(request)  # as the server's handler does

    async def run(n: int) -> None:
        answer: Any = None
        for _ in range(n):
            answer = await app._handle(request)
        _check(answer.status, answer.body)

    return run


def _check(status: int, body: bytes) -> None:
    if status != 200 or str(USER["id"]).encode() not in body:
        raise AssertionError(f"not the user: {status} {body[:200]!r}")


# -- the apps: bare, the framework's own auth hook doing no check, tgpass's integration -------
# Each maker returns the three, answering the same body. The middle one prices what the
# framework's own authentication machinery costs before anything is checked.

Apps = tuple[Any, Any, Any]


def fastapi_apps() -> Apps:
    from typing import Annotated

    from fastapi import Depends, FastAPI
    from fastapi.security import APIKeyHeader

    from tgpass.integrations.fastapi import TelegramIdentity, TelegramInitData, add_error_handler

    bare, hook, integrated = FastAPI(), FastAPI(), FastAPI()
    header = APIKeyHeader(name="Authorization")
    telegram = TelegramInitData(bot_tokens=[TOKEN])
    add_error_handler(integrated)

    async def bare_me() -> dict[str, int]:
        return {"id": ID}

    async def hook_me(key: Annotated[str, Depends(header)]) -> dict[str, int]:
        return {"id": ID}

    async def me(user: Annotated[TelegramIdentity, Depends(telegram)]) -> dict[str, int]:
        return {"id": user.telegram_id}

    bare.get("/me")(bare_me)
    hook.get("/me")(hook_me)
    integrated.get("/me")(me)
    return bare, hook, integrated


def starlette_apps() -> Apps:
    from starlette.applications import Starlette
    from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tgpass.integrations.starlette import telegram_middleware

    class Unchecked(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser]:
            return AuthCredentials(["telegram"]), SimpleUser(conn.headers["authorization"])

    async def bare_me(request: Request) -> JSONResponse:
        return JSONResponse({"id": ID})

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.user.telegram.telegram_id})

    async def hook_me(request: Request) -> JSONResponse:
        return JSONResponse({"id": ID if request.user.identity else 0})

    unchecked = [Middleware(AuthenticationMiddleware, backend=Unchecked())]
    return (
        Starlette(routes=[Route("/me", bare_me)]),
        Starlette(routes=[Route("/me", hook_me)], middleware=unchecked),
        Starlette(
            routes=[Route("/me", me)],
            middleware=[telegram_middleware(bot_tokens=[TOKEN], required=True)],
        ),
    )


def litestar_apps() -> Apps:
    from litestar import Litestar, Request, get
    from litestar.connection import ASGIConnection
    from litestar.middleware import DefineMiddleware
    from litestar.middleware.authentication import (
        AbstractAuthenticationMiddleware,
        AuthenticationResult,
    )

    from tgpass.integrations.litestar import telegram_middleware

    class Unchecked(AbstractAuthenticationMiddleware):
        async def authenticate_request(
            self, connection: ASGIConnection[Any, Any, Any, Any]
        ) -> AuthenticationResult:
            return AuthenticationResult(user=connection.headers["authorization"], auth=None)

    @get("/me")
    async def bare_me() -> dict[str, Any]:
        return {"id": ID}

    @get("/me")
    async def hook_me(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return {"id": ID if request.user else 0}

    @get("/me")
    async def me(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return {"id": request.user.telegram_id}

    return (
        Litestar(route_handlers=[bare_me]),
        Litestar(route_handlers=[hook_me], middleware=[DefineMiddleware(Unchecked)]),
        Litestar(route_handlers=[me], middleware=[telegram_middleware(bot_tokens=[TOKEN])]),
    )


def aiohttp_apps() -> Apps:
    from aiohttp import web

    from tgpass.integrations.aiohttp import TELEGRAM, Handler, telegram_middleware

    async def bare_me(request: web.Request) -> web.Response:
        return web.json_response({"id": ID})

    async def me(request: web.Request) -> web.Response:
        user = request[TELEGRAM]
        assert user is not None
        return web.json_response({"id": user.telegram_id})

    @web.middleware
    async def unchecked(request: web.Request, handler: Handler) -> web.StreamResponse:
        request["header"] = request.headers["Authorization"]
        return await handler(request)

    apps = (
        web.Application(),
        web.Application(middlewares=[unchecked]),
        web.Application(middlewares=[telegram_middleware(bot_tokens=[TOKEN])]),
    )
    for app, handler in zip(apps, (bare_me, bare_me, me), strict=True):
        app.router.add_get("/me", handler)
    return apps


def flask_apps() -> Apps:
    from flask import Flask, g, request

    from tgpass.integrations.flask import TelegramAuth, telegram_required

    bare, hook, integrated = Flask("bare"), Flask("hook"), Flask("integrated")
    TelegramAuth(integrated, bot_tokens=[TOKEN])

    def bare_me() -> dict[str, Any]:
        return {"id": ID}

    @hook.before_request
    def unchecked() -> None:
        g.header = request.headers["Authorization"]

    @telegram_required
    def me() -> dict[str, Any]:
        return {"id": g.telegram.telegram_id}

    bare.get("/me")(bare_me)
    hook.get("/me")(bare_me)
    integrated.get("/me")(me)
    return bare, hook, integrated


class UncheckedMiddleware:
    """Django's hook without a check: the header read onto the request."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        request.header = request.headers["Authorization"]
        return self.get_response(request)


def django_apps() -> Apps | None:
    try:
        from tgpass.integrations.django.middleware import TelegramMiddleware
    except ImportError:
        return None
    import django
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import JsonResponse
    from django.urls import path, set_urlconf

    def bare_me(request: Any) -> JsonResponse:
        return JsonResponse({"id": ID})

    def me(request: Any) -> JsonResponse:
        return JsonResponse({"id": request.telegram.telegram_id})

    class Urls:
        urlpatterns: ClassVar[list[Any]] = [path("me", bare_me)]

    class IntegratedUrls:
        urlpatterns: ClassVar[list[Any]] = [path("me", me)]

    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=Urls,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        TGPASS={"BOT_TOKENS": [TOKEN]},
        USE_TZ=True,
    )
    django.setup()
    handlers = []
    for middleware in ([], [UncheckedMiddleware], [TelegramMiddleware]):
        settings.MIDDLEWARE = [f"{cls.__module__}.{cls.__qualname__}" for cls in middleware]
        handlers.append(WSGIHandler())  # reads MIDDLEWARE when made

    def routed(handler: WSGIHandler, urls: type) -> Callable[..., Any]:
        def app(environ: dict[str, Any], start_response: Any) -> Any:
            set_urlconf(urls)
            return handler(environ, start_response)

        return app

    bare, hook, integrated = handlers
    return routed(bare, Urls), routed(hook, Urls), routed(integrated, IntegratedUrls)


# -- timing ---------------------------------------------------------------------------------


async def per_request(run: Run, number: int) -> float:
    start = time.perf_counter()
    await run(number)
    return (time.perf_counter() - start) / number


async def race(runs: tuple[Run, ...], rounds: int, number: int) -> list[float]:
    for run in runs:
        await run(10)  # must answer the user (raises otherwise); tgpass caches the init data
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for run, times in zip(runs, samples, strict=True):
            times.append(await per_request(run, number))
    return [min(times) for times in samples]


async def runners() -> dict[str, tuple[str, tuple[Run, ...]]]:
    found: dict[str, tuple[str, tuple[Run, ...]]] = {}
    for name, make in [
        ("FastAPI", fastapi_apps),
        ("Starlette", starlette_apps),
        ("Litestar", litestar_apps),
    ]:
        found[name] = ("ASGI", tuple(asgi_runner(app) for app in make()))
    found["aiohttp"] = ("aiohttp", tuple([await aiohttp_runner(app) for app in aiohttp_apps()]))
    found["Flask"] = ("WSGI", tuple(wsgi_runner(app) for app in flask_apps()))
    django = django_apps()
    if django is not None:
        found["Django"] = ("WSGI", tuple(wsgi_runner(app) for app in django))
    return found


async def main_async(rounds: int, number: int) -> bool:
    out = [
        f"Python {platform.python_version()} on {platform.machine()}, {rounds} rounds x "
        f"{number} requests, best round, µs per request; the same init data every time (cached).",
        "",
        "| framework | driven as | bare | own auth hook, no check | tgpass | tgpass adds "
        "| throughput tgpass / bare | tgpass / hook |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    met = True
    for name, (kind, runs) in (await runners()).items():
        bare, hook, ours = await race(runs, rounds, number)
        ratio = bare / ours
        met = met and (kind != "ASGI" or ratio >= ASGI_TARGET)
        out.append(
            f"| {name} | {kind} | {bare * 1e6:.1f} | {hook * 1e6:.1f} | {ours * 1e6:.1f} | "
            f"{(ours - bare) * 1e6:.1f} | {ratio:.2f} | {hook / ours:.2f} |"
        )
    verdict = "met" if met else "MISSED"
    out += ["", f"Target: every ASGI integration's tgpass / bare >= {ASGI_TARGET:.2f}: {verdict}"]
    print("\n".join(out))
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--number", type=int, default=300, help="requests per timing")
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(main_async(args.rounds, args.number)) else 1)


if __name__ == "__main__":
    main()
