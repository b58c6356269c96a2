"""The edge of the app, as one ASGI middleware: what every request meets before a route.

- A path whose percent-escapes are not UTF-8 is refused (422): Starlette would decode them to
  U+FFFD, and ``%FF%FE`` and ``%FE%FF`` would name the same user.
- A body larger than ``settings.max_body_size`` is refused (413 ``too_large``), by its
  ``Content-Length`` or, streamed, as soon as it grows past the limit.
- An error no handler took answers JSON: 503 ``unavailable`` when a store could not be reached
  (a connection refused, a timeout), else 500 ``internal``, logged with secrets masked and
  never sent to the client.
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body, unavailable_of, unavailable_response
from .logs import redact

log = logging.getLogger("tgpass.web")
DEFAULT_MAX_BODY = 1_000_000


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, so
    that body parsing re-raises it as it is and the error handlers answer 413."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is too large")


def too_large() -> JSONResponse:
    return JSONResponse(error_body("too_large", "the request body is too large"), 413)


def utf8_path(scope: Scope) -> bool:
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes):  # a server that gives no raw path: look for what decoding left
        return "\ufffd" not in scope.get("path", "")
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


def _max_body_size(scope: Scope) -> int:
    app = scope.get("app")
    services = getattr(getattr(app, "state", None), "services", None)
    size = getattr(getattr(services, "settings", None), "max_body_size", DEFAULT_MAX_BODY)
    return int(size)


class Edge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not utf8_path(scope):
            refused = JSONResponse(
                error_body("invalid_input", "the path is not valid UTF-8", field="path"), 422
            )
            await refused(scope, receive, send)
            return
        limit = _max_body_size(scope)
        length = _content_length(scope)
        if length is not None and length > limit:
            await too_large()(scope, receive, send)
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
            await send(message)

        try:
            await self.app(scope, limited, watched)
        except Exception as error:
            if started:  # too late to answer: the server closes the connection
                raise
            await self._answer(error, scope)(scope, receive, send)

    @staticmethod
    def _answer(error: Exception, scope: Scope) -> JSONResponse:
        if isinstance(error, BodyTooLarge):
            return too_large()
        where = f"{scope.get('method', '')} {scope.get('path', '')}"
        unavailable = unavailable_of(error)
        if unavailable is not None:
            log.warning("%s: %s (%s)", where, unavailable.message, type(error).__name__)
            return unavailable_response(unavailable)
        log.error(
            "unhandled %s on %s\n%s",
            type(error).__name__,
            where,
            redact("".join(traceback.format_exception(error))),
        )
        return JSONResponse(error_body("internal", "something went wrong on our side"), 500)
