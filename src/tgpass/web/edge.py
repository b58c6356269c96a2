"""The edge of the app, as one ASGI middleware: what every request meets before a route.

- A path whose percent-escapes are not UTF-8 is refused (422): Starlette would decode them to
  U+FFFD, and ``%FF%FE`` and ``%FE%FF`` would name the same user.
- A body larger than ``settings.max_body_size`` is refused (413 ``too_large``), by its
  ``Content-Length`` or, streamed, as soon as it grows past the limit.
- An error no handler took answers JSON: 503 ``unavailable`` when a store could not be reached
  (a connection refused, a timeout), else 500 ``internal``, logged with secrets masked and
  never sent to the client.
- Every HTML page is never framed (``X-Frame-Options: DENY``, CSP ``frame-ancestors 'none'``:
  RFC 9700 §4.16) and never stored (``Cache-Control: no-store``: Back after signing out must
  not show an account page), unless its route said otherwise. The Mini App page is framed by
  Telegram's clients: Telegram Web and the sandbox's phone (``settings.bot_api_url``) may.
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import unquote_to_bytes, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tgpass.errors import InvalidInput, TgpassError
from tgpass.settings import Settings

from .errors import (
    HTTP_ERRORS,
    error_body,
    error_page_of,
    status_words,
    unavailable_of,
    unavailable_response,
)
from .language import error_words
from .logs import redact

log = logging.getLogger("tgpass.web")
DEFAULT_MAX_BODY = 1_000_000
MINI_APP_PATH = "/miniapp"
TELEGRAM_WEB = "https://web.telegram.org"
TELEGRAM_API = "https://api.telegram.org"
Headers = list[tuple[bytes, bytes]]


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, so
    that body parsing re-raises it as it is and the error handlers answer 413."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


PATH_NOT_UTF8 = InvalidInput("the path is not valid UTF-8", field="path")
INTERNAL = TgpassError("something went wrong on our side", code="internal")


def _json(error: TgpassError, status: int, scope: Scope) -> JSONResponse:
    """The error answered as JSON, its message in the language of whoever asked."""
    field = getattr(error, "field", None)
    extra = {"field": field} if field else {}
    return JSONResponse(error_body(error.code, error_words(Request(scope), error), **extra), status)


def too_large(scope: Scope) -> JSONResponse:
    return _json(HTTP_ERRORS[413], 413, scope)


def utf8_path(scope: Scope) -> bool:
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes):  # a server that gives no raw path: look for what decoding left
        return "\ufffd" not in scope.get("path", "")
    if raw.isascii() and b"%" not in raw:  # most paths: nothing escaped, nothing to decode
        return True
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _settings(scope: Scope) -> Settings | None:
    app = scope.get("app")
    services = getattr(getattr(app, "state", None), "services", None)
    found = getattr(services, "settings", None)
    return found if isinstance(found, Settings) else None


def _max_body_size(scope: Scope) -> int:
    settings = _settings(scope)
    return DEFAULT_MAX_BODY if settings is None else settings.max_body_size


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def mini_app_framers(settings: Settings | None) -> list[str]:
    """Who may frame the Mini App page: Telegram Web, and the sandbox's phone when the Bot
    API is a sandbox (its phone is served from the same origin)."""
    framers = [TELEGRAM_WEB]
    sandbox = _origin(settings.bot_api_url) if settings is not None else None
    if sandbox is not None and sandbox != TELEGRAM_API:
        framers.append(sandbox)
    return framers


def page_headers(scope: Scope, settings: Settings | None) -> Headers:
    """The headers every HTML page carries (see the module's docstring)."""
    if scope.get("path") == MINI_APP_PATH:
        framers = " ".join(mini_app_framers(settings))
        framing = [(b"content-security-policy", f"frame-ancestors {framers}".encode())]
    else:
        framing = [
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"frame-ancestors 'none'"),
        ]
    return [*framing, (b"cache-control", b"no-store")]


def _is_page(headers: Headers) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.lower().startswith(b"text/html")
    return False


def with_page_headers(scope: Scope, headers: Headers) -> Headers:
    """``headers`` of a response, with the page headers it lacks when it is an HTML page."""
    if not _is_page(headers):
        return headers
    names = {name.lower() for name, _ in headers}
    extra = [(n, v) for n, v in page_headers(scope, _settings(scope)) if n not in names]
    return [*headers, *extra]


class Edge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not utf8_path(scope):
            await _json(PATH_NOT_UTF8, 422, scope)(scope, receive, send)
            return
        limit = _max_body_size(scope)
        length = _content_length(scope)
        if length is not None and length > limit:
            await too_large(scope)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = message.get("headers", ())
                if _is_page(headers):  # (any other answer passes as it is)
                    message = {**message, "headers": with_page_headers(scope, list(headers))}
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except Exception as error:
            if started:  # too late to answer: the server closes the connection
                raise
            response = self._answer(error, scope)
            await (await self._for_people(response, scope))(scope, receive, watched)

    @staticmethod
    def _answer(error: Exception, scope: Scope) -> JSONResponse:
        if isinstance(error, BodyTooLarge):
            return too_large(scope)
        where = f"{scope.get('method', '')} {scope.get('path', '')}"
        unavailable = unavailable_of(error)
        if unavailable is not None:
            log.warning("%s: %s (%s)", where, unavailable.message, type(error).__name__)
            return unavailable_response(unavailable, error_words(Request(scope), unavailable))
        log.error(
            "unhandled %s on %s\n%s",
            type(error).__name__,
            where,
            redact("".join(traceback.format_exception(error))),
        )
        return _json(INTERNAL, 500, scope)

    @staticmethod
    async def _for_people(response: JSONResponse, scope: Scope) -> Response:
        """The error page instead, when a browser asked for a page (and it can be shown)."""
        status = response.status_code
        request = Request(scope)
        page = error_page_of(request) if status >= 500 else None
        if page is None:
            return response
        try:
            shown = await page(request, status, status_words(request, status))
        except Exception:  # the page failed too: the JSON answer still stands
            log.exception("the error page failed on %s", scope.get("path", ""))
            return response
        if "retry-after" in response.headers:
            shown.headers["Retry-After"] = response.headers["retry-after"]
        return shown
