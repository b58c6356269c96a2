"""Django REST framework: ``TelegramAuthentication``, ``request.auth`` the Telegram identity.

Needs ``djangorestframework`` (``pip install "tgpass[drf]"``)::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "tgpass.integrations.django.rest_framework.TelegramAuthentication",
        ],
    }
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate  # type: ignore[import-untyped]
from rest_framework.authentication import BaseAuthentication  # type: ignore[import-untyped]
from rest_framework.exceptions import AuthenticationFailed  # type: ignore[import-untyped]

from tgpass.integrations._core import NotAuthenticated, TelegramIdentity

from .conf import authenticator
from .responses import NOT_ALLOWED

# Not this scheme's business: another authentication class may take the request.
_NOT_OURS = frozenset({"missing_credentials", "unsupported_scheme"})


class TelegramAuthentication(BaseAuthentication):  # type: ignore[misc]
    """``Authorization: tma <initData>`` (and ``Bearer <ID token>`` when configured) gives
    ``(user, identity)``: ``request.user`` the Django user (``TelegramBackend``),
    ``request.auth`` the ``TelegramIdentity``.

    No header, or another scheme, is not an attempt: the next class is asked, and a view
    that needs a user answers DRF's 401 with this class's challenge. A ``tma`` header that
    fails its check raises ``AuthenticationFailed`` whose body is tgpass's
    ``{"error": {"code", "message"}}`` and whose ``get_codes()`` carry the same stable code.
    """

    def authenticate(self, request: Any) -> tuple[Any, TelegramIdentity] | None:
        try:
            identity = _identity(request)
        except NotAuthenticated as error:
            if error.code in _NOT_OURS:
                return None
            # the 401's challenge may say more than the usual one (a Bearer token's error)
            request._tgpass_challenge = error.www_authenticate
            raise AuthenticationFailed(error.as_json(), code=error.code) from None
        user = authenticate(request._request, telegram=identity)
        if user is None:
            raise AuthenticationFailed(NOT_ALLOWED, code="forbidden")
        return user, identity

    def authenticate_header(self, request: Any) -> str:
        challenge: str = getattr(request, "_tgpass_challenge", None) or authenticator().challenge
        return challenge


def _identity(request: Any) -> TelegramIdentity:
    """What ``TelegramMiddleware`` found, or the header checked now when it did not run."""
    django_request = request._request
    found = getattr(django_request, "telegram", None)
    if isinstance(found, TelegramIdentity):
        return found
    error = getattr(django_request, "telegram_error", None)
    if isinstance(error, NotAuthenticated):
        raise error
    return authenticator().authenticate(request.META.get("HTTP_AUTHORIZATION"))
