"""Django system checks: a missing or unusable ``TGPASS`` setting, or no ``TelegramBackend``,
is said by ``manage.py check`` at start rather than by the first Telegram request."""

from __future__ import annotations

from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.core import checks  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]
from django.utils.module_loading import import_string  # type: ignore[import-untyped]

from .conf import build

BACKEND = "tgpass.integrations.django.backends.TelegramBackend"


@checks.register()  # type: ignore[untyped-decorator]
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    try:
        build(getattr(settings, "TGPASS", None))
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="tgpass.E001")]
    return []


@checks.register()  # type: ignore[untyped-decorator]
def check_backend(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from .backends import TelegramBackend

    for path in settings.AUTHENTICATION_BACKENDS:
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django's own checks and first login say so
        if isinstance(backend, type) and issubclass(backend, TelegramBackend):
            return []
    return [
        checks.Warning(
            "no TelegramBackend in AUTHENTICATION_BACKENDS: Telegram users get no Django user",
            hint=f'add "{BACKEND}" to AUTHENTICATION_BACKENDS',
            id="tgpass.W001",
        )
    ]
