"""Flask: an extension that puts the verified Telegram user on ``flask.g.telegram``.

>>> telegram_auth = TelegramAuth(app, bot_tokens=[BOT_TOKEN])     # doctest: +SKIP
>>> @app.get("/me")                                              # doctest: +SKIP
... @telegram_required
... def me(): return {"id": g.telegram.telegram_id}

Options are the ``Authenticator``'s (``bot_tokens``, ``bot_ids``, ``max_age``, ``signature``,
``clock``, ...) or upper-case settings in ``app.config["TGPASS"]`` (``BOT_TOKENS``, ...); the
options given win. Every request gets ``g.telegram``: the ``TelegramIdentity``, or None (and
``g.telegram_error`` says why). A view marked ``@telegram_required`` answers a request that
proved no user with a 401, ``{"error": {"code", "message"}}`` and ``WWW-Authenticate``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, jsonify, request

from ._core import (
    Authenticator,
    LoginTokens,
    NotAuthenticated,
    TelegramIdentity,
    settings_options,
)

EXTENSION = "tgpass"
F = TypeVar("F", bound=Callable[..., Any])


class TelegramAuth:
    """The extension: ``TelegramAuth(app, **options)``, or ``init_app(app)`` later."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        authenticator: Authenticator | None = None,
        **options: Any,
    ) -> None:
        if authenticator is not None and options:
            raise TypeError("give an Authenticator or its options, not both")
        self._authenticator = authenticator
        self._options = options
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        authenticator = self._authenticator
        if authenticator is None:
            settings: Mapping[str, Any] = app.config.get("TGPASS", {})
            authenticator = Authenticator(**{**settings_options(settings), **self._options})
        app.extensions[EXTENSION] = authenticator
        app.before_request(_identify)
        app.register_error_handler(NotAuthenticated, refusal)

    @property
    def authenticator(self) -> Authenticator:
        """The current app's ``Authenticator``."""
        return authenticator_of(current_app)

    def login_widget(
        self, fields: Mapping[str, Any], *, ignore: Collection[str] = ("next",)
    ) -> TelegramIdentity:
        """A Login Widget or LoginUrl callback's query (``request.args``), checked; raises
        ``NotAuthenticated``, answered 401 by the handler ``init_app`` registered. ``ignore``
        names the callback URL's own parameters, which Telegram does not sign."""
        return self.authenticator.login_widget(fields, ignore=ignore)

    def required(self, view: F) -> F:
        """``@telegram_auth.required``: the same as ``@telegram_required``."""
        return telegram_required(view)


def authenticator_of(app: Flask) -> Authenticator:
    try:
        return cast(Authenticator, app.extensions[EXTENSION])
    except KeyError:
        raise RuntimeError("TelegramAuth(app) or init_app(app) first") from None


def _identify() -> None:
    """Before each request: who sent it, if anyone; never answers by itself."""
    g.telegram = None
    g.telegram_error = None
    header = request.headers.get("Authorization")
    try:
        g.telegram = authenticator_of(current_app).authenticate(header)
    except NotAuthenticated as error:
        g.telegram_error = error


def refusal(error: NotAuthenticated) -> Response:
    """The 401 of a request that proved no Telegram user."""
    answer = jsonify(error.as_json())
    answer.status_code = error.status_code
    answer.headers["WWW-Authenticate"] = error.www_authenticate
    return answer


def telegram_required(view: F) -> F:
    """This view answers only requests that proved their Telegram user."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if g.get("telegram") is None:
            error = g.get("telegram_error")
            if not isinstance(error, NotAuthenticated):
                raise RuntimeError("@telegram_required needs TelegramAuth on the app")
            return refusal(error)
        return current_app.ensure_sync(view)(*args, **kwargs)

    return cast(F, guarded)


__all__ = [
    "Authenticator",
    "LoginTokens",
    "NotAuthenticated",
    "TelegramAuth",
    "TelegramIdentity",
    "authenticator_of",
    "refusal",
    "telegram_required",
]
