"""The site's ``settings.TGPASS``, read once into an ``Authenticator``; read again when a
test changes it (``override_settings``)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]

from tgpass.errors import ConfigError
from tgpass.integrations._core import Authenticator

_lock = threading.Lock()
_authenticator: Authenticator | None = None


def authenticator() -> Authenticator:
    """The site's authenticator, built from ``settings.TGPASS`` on first use."""
    global _authenticator
    current = _authenticator
    if current is not None:
        return current
    with _lock:
        if _authenticator is None:
            _authenticator = build(getattr(settings, "TGPASS", None))
        return _authenticator


def build(values: Any) -> Authenticator:
    """An authenticator from a ``TGPASS`` setting; ``ImproperlyConfigured`` says what is wrong."""
    if not isinstance(values, dict):
        raise ImproperlyConfigured(
            'settings.TGPASS must be a dict, e.g. {"BOT_TOKENS": ["<bot token>"]}'
        )
    try:
        return Authenticator.from_settings(values)
    except ConfigError as error:
        raise ImproperlyConfigured(f"settings.TGPASS: {error.message}") from None
    except ImportError as error:  # LOGIN_CLIENT_IDS without the login-token extra
        raise ImproperlyConfigured(f"settings.TGPASS: {error}") from None


def forget_on_change(*, setting: str, **kwargs: object) -> None:
    """Receiver of Django's ``setting_changed``: a new ``TGPASS`` means a new authenticator."""
    global _authenticator
    if setting == "TGPASS":
        with _lock:
            _authenticator = None
