"""``request.telegram``: who the ``Authorization`` header says sent the request, or None."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from tgpass.integrations._core import NotAuthenticated

from .conf import authenticator


class TelegramMiddleware:
    """Sets ``request.telegram`` to the verified ``TelegramIdentity``, or to None with
    ``request.telegram_error`` (a ``NotAuthenticated``: ``missing_credentials`` when there was
    no header) saying why.

    It never answers by itself: a view decides whether it needs a Telegram user
    (``telegram_required``), so pages for everyone keep working behind it. Works under WSGI
    and ASGI; under ASGI, Telegram's keys for an ID token are fetched without blocking.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self._async:
            return self._acall(request)
        try:
            identity = authenticator().authenticate(request.headers.get("Authorization"))
        except NotAuthenticated as error:
            _refused(request, error)
        else:
            request.telegram, request.telegram_error = identity, None
        return self.get_response(request)

    async def _acall(self, request: Any) -> Any:
        try:
            identity = await authenticator().authenticate_async(
                request.headers.get("Authorization")
            )
        except NotAuthenticated as error:
            _refused(request, error)
        else:
            request.telegram, request.telegram_error = identity, None
        response: Awaitable[Any] = self.get_response(request)
        return await response


def _refused(request: Any, error: NotAuthenticated) -> None:
    request.telegram, request.telegram_error = None, error
