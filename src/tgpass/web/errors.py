"""Every error becomes ``{"error": {"code": ..., "message": ...}}`` with a fitting status;
bad input is never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
    TgpassError,
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
    (ConfigError, 500),
]


def status_of(error: TgpassError) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 400)


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def install(app: FastAPI) -> None:
    @app.exception_handler(TgpassError)
    async def tgpass_error(request: Request, error: TgpassError) -> JSONResponse:
        headers = (
            {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
        )
        extra = (
            {"field": error.field}
            if isinstance(error, InvalidInput | InvalidAuthData) and error.field
            else {}
        )
        return JSONResponse(
            error_body(error.code, error.message, **extra), status_of(error), headers=headers
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
        codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(error.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(error.detail)), error.status_code, headers=error.headers
        )
