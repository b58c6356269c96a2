"""Sign in with Telegram Login (OpenID Connect): ``GET /auth/telegram/oidc`` sends the browser
to Telegram, ``GET /auth/telegram/oidc/callback`` brings it back signed in (a session whose
source is ``oidc``) or to a page that says what went wrong, with the status of the error.

The browser that starts a login gets a random value in a short-lived HttpOnly cookie (path
``/auth/telegram/oidc``); the pending login waits in the KV store, bound to it. One cookie
serves every login the browser has under way, so two tabs do not undo each other.

Telegram's JS library (``telegram-login.js``) signs in without leaving the page: ``POST
/api/auth/telegram/oidc/nonce`` gives the page a one-time nonce (bound the same way, by a
cookie of path ``/api/auth/telegram/oidc``) and the library's options, the page hands them to
``Telegram.Login.auth``, and ``POST /api/auth/telegram/oidc/token`` with the ``id_token`` its
callback received signs the browser in, as the redirect's callback does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from tgpass.errors import NotFound, TgpassError
from tgpass.service.oidc.client import ID_TOKEN_SIZE, TelegramLoginClient

from . import deps
from .deps import Config, Sessions, TelegramLogin, local_path, require_json
from .errors import status_of
from .language import error_words
from .rendering import render
from .schemas import SignedIn, UserOut

START = "/auth/telegram/oidc"
CALLBACK = f"{START}/callback"
API = "/api/auth/telegram/oidc"
BROWSER_COOKIE = "tgpass_oidc"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
API_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "The ID token or its nonce failed a check"},
    404: {"description": "Telegram Login is not set up on this site"},
    422: {"description": "Invalid input"},
    502: {"description": "Telegram Login could not be reached"},
}

router = APIRouter()


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
        message=error_words(request, error),
        code=error.code,
    )
    response.headers.update(NO_STORE)
    return response


@router.get(START, include_in_schema=False)
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


@router.get(CALLBACK, include_in_schema=False)
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
    deps.set_session_cookie(response, settings, token, signed_in.user)
    return response


# -- Telegram's JS library ------------------------------------------------------------------


class NonceRequest(BaseModel):
    next: str | None = Field(
        None, max_length=2048, description="Where to go once signed in: a path of this site."
    )


class LibraryOptions(BaseModel):
    """What the page hands ``Telegram.Login.auth`` (``nonce`` once, within ``expires_in``)."""

    client_id: str
    nonce: str
    request_access: list[str]
    expires_in: int


class IdTokenIn(BaseModel):
    id_token: str = Field(min_length=1, max_length=ID_TOKEN_SIZE)


class SignedInWithIdToken(SignedIn):
    next: str = Field(description="Where the browser goes now: a path of this site.")


@router.post(
    f"{API}/nonce",
    tags=["auth"],
    dependencies=[Depends(require_json)],
    responses=API_ERRORS,
)
async def library_nonce(
    request: Request,
    response: Response,
    login: TelegramLogin,
    settings: Config,
    body: Annotated[NonceRequest | None, Body()] = None,
) -> LibraryOptions:
    """A one-time nonce for Telegram's JS library, bound to this browser by a cookie."""
    issued = await configured(login).issue_nonce(
        next_path=local_path(body.next if body is not None else None),
        browser=request.cookies.get(BROWSER_COOKIE),
    )
    response.headers.update(NO_STORE)
    response.set_cookie(
        BROWSER_COOKIE,
        issued.browser,
        max_age=issued.ttl,
        httponly=True,
        samesite="strict",  # only the site's own page posts the token back
        secure=settings.secure_cookies,
        path=API,
    )
    return LibraryOptions(
        client_id=issued.client_id,
        nonce=issued.nonce,
        request_access=list(issued.request_access),
        expires_in=issued.ttl,
    )


@router.post(
    f"{API}/token",
    tags=["auth"],
    dependencies=[Depends(require_json)],
    responses=API_ERRORS,
)
async def library_token(
    body: IdTokenIn,
    request: Request,
    response: Response,
    login: TelegramLogin,
    sessions: Sessions,
    settings: Config,
) -> SignedInWithIdToken:
    """What the JS library's callback received: the ID token, verified with its nonce (once,
    in the browser it was issued to); signed in, as by the redirect's callback."""
    signed_in = await configured(login).finish_id_token(
        body.id_token, browser=request.cookies.get(BROWSER_COOKIE)
    )
    token, session = await sessions.start(signed_in.user, "oidc")
    response.headers.update(NO_STORE)
    deps.set_session_cookie(response, settings, token, signed_in.user)
    return SignedInWithIdToken(
        user=UserOut.of(signed_in.user),
        source="oidc",
        csrf_token=session.csrf_token,
        next=signed_in.next_path,
    )
