"""Every error becomes ``{"error": {"code": ..., "message": ...}}`` with a fitting status;
bad input is never a 500, and a store that cannot be reached is a 503 with Retry-After.

A person's browser gets a page instead (``wants_html``: not under ``/api/``, and its
``Accept`` prefers HTML to JSON): the same status, said in words, with a way home."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

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

from .language import error_words

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
HTTP_ERRORS: dict[int, TgpassError] = {
    400: TgpassError("the request could not be read", code="bad_request"),
    401: AuthError("sign in first"),
    403: Forbidden("this is not for you"),
    404: NotFound("there is nothing at this address"),
    405: TgpassError("this address does not take that method", code="method_not_allowed"),
    413: TgpassError("the request body is too large", code="too_large"),
}
"""Errors Starlette makes itself (a route not found, a method not taken, a body too large),
as ours: their code, and a message the catalog translates."""
NOT_VALID = InvalidInput("the request is not valid")
RETRY_UNAVAILABLE = 5
"""Seconds a client is asked to wait after a 503."""
API_PREFIX = "/api/"
ErrorPage = Callable[[Request, int, str], Awaitable[Response]]
"""Renders the error page: the request, its status, what to tell the person."""
PAGE_ERRORS: dict[int, TgpassError] = {
    400: TgpassError("Something in that request was not right."),
    401: AuthError("Please sign in first."),
    403: Forbidden("You may not open this page."),
    404: NotFound(
        "There is no page at this address. Check the link, or start again from the home page."
    ),
    405: TgpassError("This page cannot be opened that way. Start again from the home page."),
    413: TgpassError("What you sent is too large."),
    422: InvalidInput("Something in the address or the form was not right. Go back and try again."),
    500: TgpassError("Something went wrong on our side. Please try again in a moment."),
    503: Unavailable("The site is busy or briefly down. Please try again in a moment."),
}
"""What a page says for a status when the error has no words of its own for people."""
log = logging.getLogger("tgpass.web")


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


def unavailable_response(error: Unavailable, message: str | None = None) -> JSONResponse:
    """The 503 answer (``message``: the error's, translated)."""
    return JSONResponse(
        error_body(error.code, message or error.message),
        503,
        headers={"Retry-After": str(RETRY_UNAVAILABLE)},
    )


def wants_html(request: Request) -> bool:
    """A browser asking for a page: not the API, and HTML named in ``Accept`` at least as
    high as JSON. A bare ``*/*`` (fetch, curl, httpx) keeps JSON."""
    if request.url.path.startswith(API_PREFIX):
        return False
    return prefers_html(request.headers.get("accept", ""))


def status_words(request: Request, status: int) -> str:
    """What a page tells a person of a status when the error has no words of its own for
    them, in their language."""
    fallback = 500 if status >= 500 else 400
    return error_words(request, PAGE_ERRORS.get(status) or PAGE_ERRORS[fallback])


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
    """``body`` as JSON, or the error page for a browser (``message``: words for people, in
    their language; else the status's)."""
    page = error_page_of(request)
    if page is None:
        return JSONResponse(body, status, headers=headers)
    shown = await page(request, status, message or status_words(request, status))
    shown.headers.update(headers or {})
    return shown


def field_error(problem: Mapping[str, Any]) -> InvalidInput | None:
    """What pydantic found wrong with a field, as an error of ours when it is a kind the
    catalog says (the commonest); None for the others, which keep pydantic's words."""
    context = problem.get("ctx")
    ctx: Mapping[str, Any] = context if isinstance(context, Mapping) else {}
    match problem.get("type"):
        case "missing":
            return InvalidInput("this field is required")
        case "extra_forbidden":
            return InvalidInput("this field is not accepted here")
        case "string_type":
            return InvalidInput("this field takes text")
        case "int_type" | "int_parsing" | "int_from_float":
            return InvalidInput("this field takes a whole number")
        case "bool_type" | "bool_parsing":
            return InvalidInput("this field is true or false")
        case "json_invalid":
            return InvalidInput("the body is not valid JSON")
        case "string_too_short" if "min_length" in ctx:
            return InvalidInput(
                "this text is too short: at least {min_length} characters",
                values={"min_length": ctx["min_length"]},
            )
        case "string_too_long" if "max_length" in ctx:
            return InvalidInput(
                "this text is too long: at most {max_length} characters",
                values={"max_length": ctx["max_length"]},
            )
        case "too_short" if "min_length" in ctx:
            return InvalidInput(
                "too few items: at least {min_length}", values={"min_length": ctx["min_length"]}
            )
        case "too_long" if "max_length" in ctx:
            return InvalidInput(
                "too many items: at most {max_length}", values={"max_length": ctx["max_length"]}
            )
        case "greater_than_equal" if "ge" in ctx:
            return InvalidInput("this number is at least {ge}", values={"ge": ctx["ge"]})
        case "less_than_equal" if "le" in ctx:
            return InvalidInput("this number is at most {le}", values={"le": ctx["le"]})
    return None


def field_message(request: Request, problem: Mapping[str, Any]) -> str:
    """A field's problem in the request's language, else in pydantic's English."""
    ours = field_error(problem)
    return str(problem.get("msg", "")) if ours is None else error_words(request, ours)


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
        message = error_words(request, error)
        body = error_body(error.code, message, **extra)
        words = None if status >= 500 else as_sentence(message)
        return await answer(request, status, body, message=words, headers=headers_of(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        details = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())[1:]),
                "message": field_message(request, e),
            }
            for e in error.errors()
        ]
        body = error_body(NOT_VALID.code, error_words(request, NOT_VALID), details=details)
        return await answer(request, 422, body)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        ours = HTTP_ERRORS.get(error.status_code)
        if ours is None:
            body = error_body("http_error", str(error.detail))
        else:
            body = error_body(ours.code, error_words(request, ours))
        return await answer(request, error.status_code, body, headers=error.headers)


def as_sentence(text: str) -> str:
    """A message of the error tree (``"sign in first"``) as a sentence for a page."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")
