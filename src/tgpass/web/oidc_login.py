"""Sign in with Telegram Login (OpenID Connect): ``GET /auth/telegram/oidc`` sends the browser
to Telegram, ``GET /auth/telegram/oidc/callback`` brings it back signed in (a session whose
source is ``oidc``) or to a page that says what went wrong, with the status of the error.

The browser that starts a login gets a random value in a short-lived HttpOnly cookie (path
``/auth/telegram/oidc``); the pending login waits in the KV store, bound to it. One cookie
serves every login the browser has under way, so two tabs do not undo each other.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from tgpass.errors import NotFound, TgpassError
from tgpass.service.oidc.client import TelegramLoginClient

from . import deps
from .deps import Config, Sessions, TelegramLogin, local_path
from .errors import status_of
from .rendering import render

START = "/auth/telegram/oidc"
CALLBACK = f"{START}/callback"
BROWSER_COOKIE = "tgpass_oidc"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

router = APIRouter(include_in_schema=False)


def configured(found: TelegramLoginClient | None) -> TelegramLoginClient:
    if found is None:
        raise NotFound("Telegram Login is not set up on this site.", code="oidc_not_configured")
    return found


async def error_page(request: Request, error: TgpassError) -> Response:
    """Where a login that went wrong ends: what happened, and the way back to sign in."""
    response = await render(
        request,
        "oidc_login_error.html",
        status_of(error),
        message=error.message,
        code=error.code,
    )
    response.headers.update(NO_STORE)
    return response


@router.get(START)
async def start(request: Request, login: TelegramLogin, settings: Config) -> Response:
    """To Telegram, to log in; ``next`` is where to go after (a path on this site)."""
    try:
        started = await configured(login).start(
            next_path=local_path(request.query_params.get("next")),
            browser=request.cookies.get(BROWSER_COOKIE),
        )
    except TgpassError as error:
        return await error_page(request, error)
    response = RedirectResponse(started.url, status_code=303, headers=NO_STORE)
    response.set_cookie(
        BROWSER_COOKIE,
        started.browser,
        max_age=started.ttl,
        httponly=True,
        samesite="lax",  # sent on the top-level GET that comes back from Telegram
        secure=settings.secure_cookies,
        path=START,
    )
    return response


@router.get(CALLBACK)
async def callback(
    request: Request, login: TelegramLogin, sessions: Sessions, settings: Config
) -> Response:
    """Back from Telegram: signed in, and on to where the login was started for."""
    try:
        signed_in = await configured(login).finish(
            request.query_params.multi_items(), browser=request.cookies.get(BROWSER_COOKIE)
        )
        token, _ = await sessions.start(signed_in.user, "oidc")
    except TgpassError as error:
        return await error_page(request, error)
    response = RedirectResponse(signed_in.next_path, status_code=303, headers=NO_STORE)
    deps.set_session_cookie(response, settings, token)
    return response
