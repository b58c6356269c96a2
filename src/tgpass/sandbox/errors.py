"""Errors the sandbox answers with: the Bot API's in Telegram's envelope (``BotApiError``),
the sandbox's own HTTP API's in tgpass's (``SandboxError`` and its kinds)."""

from __future__ import annotations

from typing import Any


class BotApiError(Exception):
    """A Bot API failure: ``{"ok": false, "error_code": N, "description": ..., "parameters"}``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {what}")


def forbidden(what: str) -> BotApiError:
    return BotApiError(403, f"Forbidden: {what}")


def too_many_requests(retry_after: int) -> BotApiError:
    return BotApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


UNAUTHORIZED = BotApiError(401, "Unauthorized")
NOT_FOUND = BotApiError(404, "Not Found")
CHAT_NOT_FOUND = "chat not found"
USER_NOT_FOUND = "user not found"


class SandboxError(Exception):
    """A refusal of the sandbox's own HTTP API (``/sandbox/api``, the phone's), never of the
    Bot API: answered as tgpass answers, ``{"error": {"code": ..., "message": ..., **details}}``.

    ``message`` is worded for the person at the phone, who sees it; ``details`` (ids, links,
    names) are for programs. Built-in errors are not mapped: one escaping is a bug, a 500.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class NotFound(SandboxError, LookupError):
    """No such user, bot, chat, invite link, button or login request (404)."""

    status = 404
    code = "not_found"


class Invalid(SandboxError, ValueError):
    """The request cannot be met as asked (400)."""


class Refused(SandboxError, PermissionError):
    """Telegram's rules forbid it: an expired link, a ban (403)."""

    status = 403
    code = "refused"
