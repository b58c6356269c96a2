"""The answers a view gets when the request proves no Telegram user: tgpass's JSON errors."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse  # type: ignore[import-untyped]

from tgpass.integrations._core import NotAuthenticated

# The user is known but may not come in: inactive, or not linked when no user is made.
NOT_ALLOWED = {"error": {"code": "forbidden", "message": "this Telegram user may not sign in here"}}


def unauthorized(error: NotAuthenticated) -> Any:
    """401 with ``{"error": {"code", "message"}}`` and the challenge to answer."""
    response = JsonResponse(error.as_json(), status=401)
    response["WWW-Authenticate"] = error.www_authenticate
    return response


def forbidden() -> Any:
    return JsonResponse(NOT_ALLOWED, status=403)
