"""One call of the site API, free of I/O: what to send, whether sending it again is safe,
and how its answer becomes a result or a typed error. The sync and async clients only move
the bytes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from ._errors import ApiError, UnexpectedResponse, api_error
from ._json import Fields, Malformed
from ._retry import retry_after_of

T = TypeVar("T")

Parse = Callable[[httpx.Response], T]
"""The result read from a successful answer (it may raise ``Malformed``)."""

SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
"""Methods that do the same however many times they are sent (PUT here sets absolute
values: a user's name, role and karma; a chat's rule)."""


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """``method path`` with an optional JSON ``body``, ``params`` and ``headers``; ``parse``
    reads the result. ``repeatable``: sending it twice does what sending it once does, so a
    failed attempt may be sent again (safe methods, and writes carrying an
    Idempotency-Key)."""

    method: str
    path: str
    parse: Parse[T]
    body: Any = None
    params: Mapping[str, str | int] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def repeatable(self) -> bool:
        return self.method in SAFE_METHODS or "Idempotency-Key" in self.headers

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        content = None if self.body is None else json.dumps(self.body).encode()
        headers = dict(self.headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        return http.build_request(
            self.method, self.path, params=dict(self.params), content=content, headers=headers
        )

    def outcome(self, response: httpx.Response) -> T:
        """The result of a 2xx answer; otherwise the typed error it stands for, raised."""
        if not response.is_success:
            raise error_of(response)
        try:
            return self.parse(response)
        except (Malformed, json.JSONDecodeError, UnicodeDecodeError) as error:
            raise UnexpectedResponse(
                f"{self.method} {self.path}: {error}", status=response.status_code
            ) from None


def error_of(response: httpx.Response) -> ApiError:
    """The API's ``{"error": {"code", "message", ...}}`` as an exception of the tree; an
    answer without that shape (a proxy's page) still gets one, coded ``http_<status>``."""
    status = response.status_code
    retry_after = retry_after_of(response)
    try:
        error = Fields(response.json()).obj("error")
        code, message = error.text("code"), error.text("message")
    except (Malformed, json.JSONDecodeError, UnicodeDecodeError):
        return api_error(
            status, f"http_{status}", response.reason_phrase or "", retry_after=retry_after
        )
    found: Mapping[str, Any] = response.json()["error"]
    details = [d for d in found.get("details") or () if isinstance(d, Mapping)]
    field_name = found.get("field")
    if field_name is None and len(details) == 1:
        field_name = details[0].get("field")
    return api_error(
        status,
        code,
        message,
        field=field_name if isinstance(field_name, str) else None,
        details=details,
        retry_after=retry_after,
    )


def json_of(response: httpx.Response) -> Fields:
    return Fields(response.json())


def replayed(response: httpx.Response) -> bool:
    """The service answered a request it had seen with the same Idempotency-Key."""
    answered: str = response.headers.get("Idempotent-Replayed", "")
    return answered.lower() == "true"


def nothing(_response: httpx.Response) -> None:
    """For calls whose answer says only that it was done (``{"ok": true}``)."""
