"""``@telegram_required``: a view only a verified Telegram user reaches, as a Django user."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth import authenticate, login  # type: ignore[import-untyped]

from tgpass.integrations._core import NotAuthenticated, TelegramIdentity

from .conf import authenticator
from .responses import forbidden, unauthorized

View = TypeVar("View", bound=Callable[..., Any])


@overload
def telegram_required(view: View, /) -> View: ...


@overload
def telegram_required(*, login: bool = False) -> Callable[[View], View]: ...


def telegram_required(view: Any = None, /, *, login: bool = False) -> Any:
    """Let a view through only with a verified Telegram user, as ``request.user``.

    Without one it answers 401 ``{"error": {"code", "message"}}`` with ``WWW-Authenticate``;
    a Telegram user whose Django user may not sign in (inactive) gets 403. The user is
    signed in for this request only; ``login=True`` also starts a Django session
    (``django.contrib.auth.login``), for a Mini App that goes on with cookies.

    It reads ``request.telegram`` when ``TelegramMiddleware`` ran, the header otherwise; the
    Django user comes from the authentication backends (``TelegramBackend``). The view is
    exempt from CSRF checks: it trusts only the ``Authorization`` header, which a browser
    never adds to another site's request on its own. Sync and async views alike.
    """
    if view is None:
        return lambda inner: _guard(inner, start_session=login)
    return _guard(view, start_session=login)


def _guard(view: View, *, start_session: bool) -> View:
    if iscoroutinefunction(view):

        @wraps(view)
        async def guarded_async(request: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                identity = await _identity_async(request)
            except NotAuthenticated as error:
                return unauthorized(error)
            if not await sync_to_async(_sign_in)(request, identity, start_session):
                return forbidden()
            return await view(request, *args, **kwargs)

        guarded_async.csrf_exempt = True  # type: ignore[attr-defined]
        return guarded_async  # type: ignore[return-value]

    @wraps(view)
    def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            identity = _identity(request)
        except NotAuthenticated as error:
            return unauthorized(error)
        if not _sign_in(request, identity, start_session):
            return forbidden()
        return view(request, *args, **kwargs)

    guarded.csrf_exempt = True  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


def _identity(request: Any) -> TelegramIdentity:
    if hasattr(request, "telegram"):
        return _from_middleware(request)
    return _remember(request, authenticator().authenticate(request.headers.get("Authorization")))


async def _identity_async(request: Any) -> TelegramIdentity:
    if hasattr(request, "telegram"):
        return _from_middleware(request)
    header = request.headers.get("Authorization")
    return _remember(request, await authenticator().authenticate_async(header))


def _from_middleware(request: Any) -> TelegramIdentity:
    identity: TelegramIdentity | None = request.telegram
    if identity is None:
        error = getattr(request, "telegram_error", None)
        if isinstance(error, NotAuthenticated):
            raise error
        raise authenticator().refuse("missing_credentials", "send Authorization: tma <initData>")
    return identity


def _remember(request: Any, identity: TelegramIdentity) -> TelegramIdentity:
    request.telegram, request.telegram_error = identity, None
    return identity


def _sign_in(request: Any, identity: TelegramIdentity, start_session: bool) -> bool:
    """Make the identity's Django user ``request.user``; False when the backends refuse it."""
    user = authenticate(request, telegram=identity)
    if user is None:
        return False
    if start_session:
        login(request, user)
    request.user = user

    async def auser() -> Any:  # what async views ask for, in place of the session's user
        return user

    request.auser = auser
    return True
