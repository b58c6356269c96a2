"""What the site API's client raises: every error of the service's JSON API as a class of
tgpass's own tree, so ``except tgpass.errors.NotFound`` catches a 404 from the API too.

::

    TgpassError
     └── ClientError                   the site API could not be used
          ├── NetworkError             no answer: refused, reset, timed out
          ├── UnexpectedResponse       an answer that is not the API's JSON
          ├── ProgressTimeout (TimeoutError)  a notification still going when the wait ended
          └── ApiError                 the API answered an error: .status, .code, .message
               ├── Unauthorized (AuthError)        401: no or wrong API key
               ├── PermissionDenied (Forbidden)    403
               ├── ResourceNotFound (NotFound)     404
               ├── RequestConflict (Conflict)      409
               │    └── IdempotencyMismatch        409 idempotency_mismatch
               ├── InvalidRequest (InvalidInput)   400, 413, 422: .field, .details
               ├── TooManyRequests (RateLimited)   429: .retry_after
               ├── ServiceUnavailable (Unavailable)  503: .retry_after
               └── ServerError                     any other 5xx
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tgpass.errors import (
    AuthError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    TgpassError,
    Unavailable,
)


class ClientError(TgpassError):
    """The site API could not be used: no answer, an answer it does not understand, or an
    error the API answered."""

    code = "client_error"


class NetworkError(ClientError):
    """No answer from the service: the connection was refused or broke, or it timed out."""

    code = "network_error"


class UnexpectedResponse(ClientError):
    """The service answered something that is not the API's JSON (a proxy's page, a body
    missing a documented field): ``status`` is the HTTP status."""

    code = "unexpected_response"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ProgressTimeout(ClientError, TimeoutError):
    """A notification was still being sent when the wait for it ended; ``last`` is the
    last status read."""

    code = "progress_timeout"

    def __init__(self, message: str, *, last: object) -> None:
        super().__init__(message)
        self.last = last


class ApiError(ClientError):
    """The API answered ``{"error": {"code", "message", ...}}`` with ``status``.

    ``code`` is the API's stable code (``not_found``, ``not_linked``, ``invalid_input``…);
    ``field`` names the input at fault when the API says which; ``details`` lists each
    field's problem for a validation error; ``retry_after`` is the wait the API asked for
    (``Retry-After``), in seconds, when it asked."""

    code = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        field: str | None = None,
        details: Sequence[Mapping[str, Any]] = (),
        retry_after: float | None = None,
    ) -> None:
        TgpassError.__init__(self, message, code=code)
        self.status = status
        self.field = field
        self.details = tuple(details)
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class Unauthorized(ApiError, AuthError):
    """401: the API key is missing or wrong."""


class PermissionDenied(ApiError, Forbidden):
    """403: the key is good, the request is not allowed."""


class ResourceNotFound(ApiError, NotFound):
    """404: no such user, notification, chat, endpoint or delivery (or, unlinking, no
    Telegram link: ``code`` ``not_linked``)."""


class RequestConflict(ApiError, Conflict):
    """409: the request clashes with what exists (``not_linked`` for a notification to a
    user with no Telegram, ``last_sign_in_method``…)."""


class IdempotencyMismatch(RequestConflict):
    """409 ``idempotency_mismatch``: the Idempotency-Key was used with another body."""


class InvalidRequest(ApiError, InvalidInput):
    """400, 413 or 422: the input was refused; ``field`` (or ``details``) says where."""


class TooManyRequests(ApiError, RateLimited):
    """429: slow down; ``retry_after`` seconds (0 when the API did not say)."""

    retry_after: float


class ServiceUnavailable(ApiError, Unavailable):
    """503: a store behind the service did not answer in time; try again soon."""


class ServerError(ApiError):
    """Any other 5xx: the service failed."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: PermissionDenied,
    404: ResourceNotFound,
    409: RequestConflict,
    413: InvalidRequest,
    422: InvalidRequest,
    429: TooManyRequests,
    503: ServiceUnavailable,
}
_BY_CODE: dict[str, type[ApiError]] = {"idempotency_mismatch": IdempotencyMismatch}


def api_error(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: Sequence[Mapping[str, Any]] = (),
    retry_after: float | None = None,
) -> ApiError:
    """The error class that fits the status (and, for a few, the code)."""
    kind = _BY_CODE.get(code) or _BY_STATUS.get(status)
    if kind is None:
        kind = ServerError if status >= 500 else ApiError
    if kind is TooManyRequests and retry_after is None:
        retry_after = 0.0
    return kind(
        message, status=status, code=code, field=field, details=details, retry_after=retry_after
    )
