"""How the sandbox server answers when something goes wrong, whatever the path.

Under ``/sandbox/api`` (and the phone's other calls) errors come in tgpass's shape,
``{"error": {"code": ..., "message": ...}}``, the message worded for the person at the phone.
Only the sandbox's typed errors are mapped (``SandboxError`` and its kinds to their status,
``BotApiError`` met on the users' side to 400): any other exception, a ``KeyError`` or
``ValueError`` included, is a bug, a 500 with its traceback in the log. The Bot API's paths
keep Telegram's envelope, and a person's browser at a wrong address gets a page that leads to
the phone."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from tgpass.accept import prefers_html

from . import pages
from .errors import NOT_FOUND, BotApiError, SandboxError

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
_HTTP_MESSAGES = {
    404: "There is nothing at this address.",
    405: "This address does not take {method} requests.",
}
_TELEGRAM_PREFIXES = ("Bad Request: ", "Forbidden: ", "Unauthorized: ", "Conflict: ")
BUG_MESSAGE = "Something went wrong in the sandbox; its log tells what."


def _error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **details}}, status)


def _is_bot_api(request: Request) -> bool:
    """``/bot<token>/<method>``: answered as Telegram answers, whatever goes wrong."""
    return request.url.path.startswith("/bot")


def _telegram_in_words(description: str) -> str:
    """Telegram's description as a sentence: ``Bad Request: chat not found`` -> ``Chat not
    found.``"""
    text = next(
        (description.removeprefix(p) for p in _TELEGRAM_PREFIXES if description.startswith(p)),
        description,
    )
    return text[:1].upper() + text[1:].rstrip(".") + "."


async def _sandbox_error(request: Request, failure: SandboxError) -> JSONResponse:
    return JSONResponse(failure.to_dict(), failure.status)


async def _telegram_refusal(request: Request, failure: BotApiError) -> JSONResponse:
    """A Bot API rule met on the users' side (a ban, a migrated group): Telegram's words as
    the message, its error as details."""
    words = _telegram_in_words(failure.description)
    details = {"error_code": failure.error_code, "description": failure.description}
    return _error(400, "telegram_error", words, **details)


async def _invalid_input(request: Request, failure: RequestValidationError) -> JSONResponse:
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
        for e in failure.errors()
    ]
    return _error(422, "invalid_input", "The request is not valid.", details=details)


async def _http_error(request: Request, failure: HTTPException) -> Response:
    """A wrong address or method: Telegram's 404 on the Bot API's paths, a page leading to
    the phone for a person's browser, tgpass's shape for programs."""
    status = failure.status_code
    if _is_bot_api(request):
        refusal = NOT_FOUND if status == 404 else BotApiError(status, str(failure.detail))
        return JSONResponse(refusal.to_dict(), status, headers=failure.headers)
    if prefers_html(request.headers.get("accept", "")):
        return pages.error_page(status, headers=failure.headers)
    answer = _error(
        status,
        _HTTP_CODES.get(status, "http_error"),
        _HTTP_MESSAGES.get(status, str(failure.detail)).format(method=request.method),
        path=request.url.path,
    )
    answer.headers.update(failure.headers or {})
    return answer


async def _bug(request: Request, failure: Exception) -> Response:
    """Any other exception is a bug: a 500, its traceback logged by the server."""
    if _is_bot_api(request):
        return JSONResponse(BotApiError(500, "Internal Server Error").to_dict(), 500)
    if prefers_html(request.headers.get("accept", "")):
        return pages.error_page(500)
    return _error(500, "internal", BUG_MESSAGE)


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(SandboxError)(_sandbox_error)
    app.exception_handler(BotApiError)(_telegram_refusal)
    app.exception_handler(RequestValidationError)(_invalid_input)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(Exception)(_bug)
