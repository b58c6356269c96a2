"""Every error becomes ``{"error": {"code": ..., "message": ...}}`` with a fitting status;
bad input is never a 500, and a store that cannot be reached is a 503 with Retry-After."""

from __future__ import annotations

import math
import socket

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import exc as sql
from starlette.exceptions import HTTPException

from tgpass.errors import (
    AuthError,
    ConfigError,
    Conflict,
    Forbidden,
    InvalidAuthData,
    InvalidDeepLink,
    InvalidInput,
    NotFound,
    RateLimited,
    TelegramTransient,
    TgpassError,
    Unavailable,
)

STATUS: list[tuple[type[TgpassError], int]] = [
    (RateLimited, 429),
    (InvalidAuthData, 401),
    (AuthError, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (InvalidDeepLink, 422),
    (Unavailable, 503),
    (TelegramTransient, 502),  # Telegram (its Login's issuer, say) failed the site: a gateway
    (ConfigError, 500),
]
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}
RETRY_UNAVAILABLE = 5
"""Seconds a client is asked to wait after a 503."""

# What a store that cannot be reached raises, by driver: refused and reset connections,
# timeouts, names that do not resolve; SQLAlchemy's own for lost or unusable connections.
_UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    RedisConnectionError,
    RedisTimeoutError,
    sql.OperationalError,
    sql.InterfaceError,
    sql.TimeoutError,
)


def status_of(error: TgpassError) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 400)


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def headers_of(error: TgpassError) -> dict[str, str] | None:
    if isinstance(error, RateLimited):
        return {"Retry-After": str(max(1, math.ceil(error.retry_after)))}
    if isinstance(error, Unavailable):
        return {"Retry-After": str(RETRY_UNAVAILABLE)}
    return None


def unavailable_of(error: BaseException) -> Unavailable | None:
    """The error as ``Unavailable`` when it says a store could not be reached in time."""
    if isinstance(error, Unavailable):
        return error
    if isinstance(error, BaseExceptionGroup):
        found = [unavailable_of(e) for e in error.exceptions]
        return found[0] if found and all(found) else None
    if isinstance(error, _UNREACHABLE) or (
        isinstance(error, sql.DBAPIError) and error.connection_invalidated
    ):
        return Unavailable("a backing store did not answer; try again soon")
    return None


def unavailable_response(error: Unavailable) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message), 503, headers={"Retry-After": str(RETRY_UNAVAILABLE)}
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(TgpassError)
    async def tgpass_error(request: Request, error: TgpassError) -> JSONResponse:
        extra = (
            {"field": error.field}
            if isinstance(error, InvalidInput | InvalidAuthData) and error.field
            else {}
        )
        return JSONResponse(
            error_body(error.code, error.message, **extra),
            status_of(error),
            headers=headers_of(error),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
            for e in error.errors()
        ]
        return JSONResponse(
            error_body("invalid_input", "the request is not valid", details=details), 422
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(error.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(error.detail)), error.status_code, headers=error.headers
        )
