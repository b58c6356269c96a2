"""``telegram_login_view``: where the Login Widget and LoginUrl buttons send a user back."""

from __future__ import annotations

from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.contrib.auth import authenticate, login  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]
from django.http import HttpResponseRedirect  # type: ignore[import-untyped]
from django.shortcuts import resolve_url  # type: ignore[import-untyped]
from django.utils.http import url_has_allowed_host_and_scheme  # type: ignore[import-untyped]
from django.views.decorators.http import require_GET  # type: ignore[import-untyped]

from tgpass.errors import ConfigError
from tgpass.integrations._core import NotAuthenticated

from .conf import authenticator
from .responses import forbidden, unauthorized

REDIRECT_FIELD = "next"


@require_GET  # type: ignore[untyped-decorator]
def telegram_login_view(request: Any) -> Any:
    """Check the signed fields Telegram added to the URL, sign the user in, redirect.

    Route it (``path("telegram/login/", telegram_login_view)``) and give its URL as the
    widget's ``data-auth-url`` or a LoginUrl button's ``url``. A ``next`` parameter of that
    URL is where the user goes afterwards, when it stays on this site; otherwise
    ``LOGIN_REDIRECT_URL``. Fields that fail the check answer 401 with tgpass's JSON error;
    a Telegram user whose Django user may not sign in, 403.
    """
    try:
        identity = authenticator().login_widget(_fields(request), ignore={REDIRECT_FIELD})
    except NotAuthenticated as error:
        return unauthorized(error)
    except ConfigError as error:  # bots named by id alone: the widget needs their tokens
        raise ImproperlyConfigured(f"settings.TGPASS: {error.message}") from None
    user = authenticate(request, telegram=identity)
    if user is None:
        return forbidden()
    login(request, user)
    return HttpResponseRedirect(_next_url(request))


def _fields(request: Any) -> dict[str, str]:
    """The query's fields; one given twice is refused, since what Telegram signed would then
    be ambiguous (``next``, the site's own, too: it says where to go)."""
    fields: dict[str, str] = {}
    for name, values in request.GET.lists():
        if len(values) != 1:
            raise authenticator().refuse("malformed", f"the field {name!r} appears twice")
        fields[name] = values[0]
    return fields


def _next_url(request: Any) -> str:
    wanted = request.GET.get(REDIRECT_FIELD, "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(wanted)
    return str(resolve_url(settings.LOGIN_REDIRECT_URL))
