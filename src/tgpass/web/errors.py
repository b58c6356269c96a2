"""Every error becomes ``{"error": {"code": ..., "message": ...}}`` with a fitting status;
bad input is never a 500, and a store that cannot be reached is a 503 with Retry-After.

A person's browser gets a page instead (``wants_html``: not under ``/api/``, and its
``Accept`` prefers HTML to JSON): the same status, said in words, with a way home."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tgpass.accept import prefers_html
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
from tgpass.store.outages import outage_of

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
API_PREFIX = "/api/"
ErrorPage = Callable[[Request, int, str], Awaitable[Response]]
"""Renders the error page: the request, its status, what to tell the person."""
PAGE_MESSAGES = {
    400: "Something in that request was not right.",
    401: "Please sign in first.",
    403: "You may not open this page.",
    404: "There is no page at this address. Check the link, or start again from the home page.",
    405: "This page cannot be opened that way. Start again from the home page.",
    413: "What you sent is too large.",
    422: "Something in the address or the form was not right. Go back and try again.",
    500: "Something went wrong on our side. Please try again in a moment.",
    503: "The site is busy or briefly down. Please try again in a moment.",
}


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
    if outage_of(error) is not None:
        return Unavailable("a backing store did not answer; try again soon")
    return None


def unavailable_response(error: Unavailable) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message), 503, headers={"Retry-After": str(RETRY_UNAVAILABLE)}
    )


def wants_html(request: Request) -> bool:
    """A browser asking for a page: not the API, and HTML named in ``Accept`` at least as
    high as JSON. A bare ``*/*`` (fetch, curl, httpx) keeps JSON."""
    if request.url.path.startswith(API_PREFIX):
        return False
    return prefers_html(request.headers.get("accept", ""))


def page_message(status: int, message: str | None = None) -> str:
    """What a person is told: the error's own words when it has some for them, else the
    status said in plain English."""
    return message or PAGE_MESSAGES.get(status, PAGE_MESSAGES[400])


def error_page_of(request: Request) -> ErrorPage | None:
    """The page that ``install`` was given, when this request wants one."""
    state = getattr(request.scope.get("app"), "state", None)
    page: ErrorPage | None = getattr(state, "error_page", None)
    return page if page is not None and wants_html(request) else None


async def answer(
    request: Request,
    status: int,
    body: dict[str, object],
    *,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``body`` as JSON, or the error page for a browser (``message``: words for people)."""
    page = error_page_of(request)
    if page is None:
        return JSONResponse(body, status, headers=headers)
    shown = await page(request, status, page_message(status, message))
    shown.headers.update(headers or {})
    return shown


def install(app: FastAPI, page: ErrorPage | None = None) -> None:
    """Map every error once; ``page`` renders errors for browsers (else: always JSON)."""
    app.state.error_page = page

    @app.exception_handler(TgpassError)
    async def tgpass_error(request: Request, error: TgpassError) -> Response:
        extra = (
            {"field": error.field}
            if isinstance(error, InvalidInput | InvalidAuthData) and error.field
            else {}
        )
        status = status_of(error)
        body = error_body(error.code, error.message, **extra)
        words = None if status >= 500 else as_sentence(error.message)
        return await answer(request, status, body, message=words, headers=headers_of(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
            for e in error.errors()
        ]
        body = error_body("invalid_input", "the request is not valid", details=details)
        return await answer(request, 422, body)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        code = HTTP_CODES.get(error.status_code, "http_error")
        body = error_body(code, str(error.detail))
        return await answer(request, error.status_code, body, headers=error.headers)


def as_sentence(text: str) -> str:
    """A message of the error tree (``"sign in first"``) as a sentence for a page."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")
