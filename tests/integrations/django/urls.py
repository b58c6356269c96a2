"""The test site's views: each way a view may ask who the Telegram user is."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tgpass.integrations.django.decorators import telegram_required
from tgpass.integrations.django.rest_framework import TelegramAuthentication
from tgpass.integrations.django.views import telegram_login_view


def _who(request: HttpRequest) -> dict[str, object]:
    identity = request.telegram  # type: ignore[attr-defined]
    return {
        "user": request.user.get_username() if request.user.is_authenticated else None,
        "telegram_id": identity.telegram_id,
        "scheme": identity.scheme,
    }


@telegram_required
def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_who(request))


@telegram_required(login=True)
def me_with_session(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_who(request))


@telegram_required
async def me_async(request: HttpRequest) -> JsonResponse:
    user = await request.auser()
    return JsonResponse({**_who(request), "auser": user.get_username()})


def whoami(request: HttpRequest) -> JsonResponse:
    """No decorator: what the middleware alone says."""
    identity = request.telegram  # type: ignore[attr-defined]
    error = request.telegram_error  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "telegram_id": identity.telegram_id if identity else None,
            "error": error.code if error else None,
        }
    )


def home(request: HttpRequest) -> JsonResponse:
    """The session's user, as any later page sees it."""
    user = request.user
    return JsonResponse({"user": user.get_username() if user.is_authenticated else None})


class ApiMe(APIView):
    authentication_classes = (TelegramAuthentication,)
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        return Response(
            {"user": request.user.get_username(), "telegram_id": request.auth.telegram_id}
        )


class ApiOpen(APIView):
    authentication_classes = (TelegramAuthentication,)
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        user = request.user
        return Response({"user": user.get_username() if user else None})


urlpatterns = [
    path("me/", me),
    path("me/session/", me_with_session),
    path("me/async/", me_async),
    path("whoami/", whoami),
    path("home/", home),
    path("api/me/", ApiMe.as_view()),
    path("api/open/", ApiOpen.as_view()),
    path("telegram/login/", telegram_login_view),
    path("admin/", admin.site.urls),
]
