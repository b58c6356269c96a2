"""Errors the sandbox answers with, in Telegram's envelope."""

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
