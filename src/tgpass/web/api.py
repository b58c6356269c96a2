"""The JSON API: sign-in, the signed-in user, linking, and the existing website's API."""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Body, Depends, Request, Response

from tgpass.domain.accounts import User
from tgpass.service.accounts.linking import LinkOffer

from . import deps
from .deps import (
    Auth,
    Config,
    Linking,
    Sessions,
    SiteUsers,
    Who,
    principal,
    require_json,
    services_of,
    site_api_key,
)
from .schemas import (
    Done,
    LinkOfferOut,
    LinkStatus,
    Login,
    MeOut,
    MiniAppLogin,
    PendingLink,
    Register,
    SetPassword,
    SignedIn,
    SiteLinkOut,
    SiteUserIn,
    SiteUserOut,
    TelegramOut,
    UserOut,
    me_json,
)

router = APIRouter(prefix="/api")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the signed data failed a check"},
    422: {"description": "Invalid input"},
}


@router.get("/me", tags=["me"], response_model=MeOut, responses=ERRORS)
async def me(request: Request) -> Response:
    """The signed-in user: by session cookie or ``Authorization: tma <initData>``.

    The call a Mini App makes most: first among the routes, no injected dependencies, and
    serialized directly (each saves measurable time per request; see bench/http.py).
    """
    who = await principal(request)
    link = await services_of(request).linking.link_of(who.user.id)
    return Response(me_json(who.user, link, who.source), media_type="application/json")


@router.put(
    "/me/password",
    tags=["me"],
    dependencies=[Depends(require_json)],
    responses={
        403: {"description": "The current password is not right, or no CSRF token"},
        409: {"description": "Username taken, or a password is set and none was given"},
        **ERRORS,
    },
)
async def set_password(body: SetPassword, request: Request, who: Who, auth: Auth) -> UserOut:
    """Give the account a password (and a username, if it has none), so that it can sign in
    without Telegram; or change it, with the current one."""
    user = await auth.set_password(
        who.user.id,
        body.password,
        client=deps.client_address(request),
        username=body.username,
        current_password=body.current_password,
    )
    return UserOut.of(user)


async def _signed_in(
    response: Response, sessions: Sessions, settings: Config, user: User, source: str
) -> SignedIn:
    token, session = await sessions.start(user, source)
    deps.set_session_cookie(response, settings, token, user)
    return SignedIn(user=UserOut.of(user), source=source, csrf_token=session.csrf_token)


@router.post(
    "/auth/register",
    status_code=201,
    tags=["auth"],
    dependencies=[Depends(require_json)],
    responses={409: {"description": "Username taken"}, **ERRORS},
)
async def register(
    body: Register, response: Response, auth: Auth, sessions: Sessions, settings: Config
) -> SignedIn:
    """A new account, signed in: the account is written only if its session starts."""
    name, password, shown = body.username, body.password, body.display_name
    async with auth.registration(name, password, shown) as user:
        token, session = await sessions.start(user, "password")
    deps.set_session_cookie(response, settings, token, user)
    return SignedIn(user=UserOut.of(user), source="password", csrf_token=session.csrf_token)


@router.post(
    "/auth/login",
    tags=["auth"],
    dependencies=[Depends(require_json)],
    responses={429: {"description": "Too many attempts"}, **ERRORS},
)
async def login(
    body: Login,
    request: Request,
    response: Response,
    auth: Auth,
    sessions: Sessions,
    settings: Config,
) -> SignedIn:
    user = await auth.sign_in_password(
        body.username, body.password, client=deps.client_address(request)
    )
    return await _signed_in(response, sessions, settings, user, "password")


@router.post(
    "/auth/telegram/widget",
    tags=["auth"],
    dependencies=[Depends(require_json)],
    responses=ERRORS,
)
async def widget_login(
    response: Response,
    auth: Auth,
    sessions: Sessions,
    settings: Config,
    fields: Annotated[dict[str, Any], Body()],
) -> SignedIn:
    """What the Login Widget's ``data-onauth`` callback received, posted as it came."""
    user = await auth.sign_in_widget(fields)
    return await _signed_in(response, sessions, settings, user, "widget")


@router.post(
    "/auth/telegram/miniapp",
    tags=["auth"],
    dependencies=[Depends(require_json)],
    responses=ERRORS,
)
async def mini_app_login(
    body: MiniAppLogin, response: Response, auth: Auth, sessions: Sessions, settings: Config
) -> SignedIn:
    user, _ = await auth.sign_in_mini_app(body.init_data)
    return await _signed_in(response, sessions, settings, user, "miniapp")


@router.post("/auth/logout", tags=["auth"], responses=ERRORS)
async def logout(request: Request, response: Response, who: Who, sessions: Sessions) -> Done:
    await sessions.end(request.cookies.get(deps.SESSION_COOKIE))
    deps.clear_session_cookie(response)
    return Done()


@router.post("/auth/logout-everywhere", tags=["auth"], responses=ERRORS)
async def logout_everywhere(response: Response, who: Who, sessions: Sessions) -> Done:
    await sessions.end_everywhere(who.user.id)
    deps.clear_session_cookie(response)
    return Done()


def _offer(offer: LinkOffer) -> LinkOfferOut:
    qr = segno.make(offer.url, error="m").svg_inline(scale=4, dark="#1b1f23")
    return LinkOfferOut(url=offer.url, expires_at=offer.expires_at, qr_svg=qr)


@router.post("/link", tags=["me"], responses=ERRORS)
async def offer_link(who: Who, linking: Linking) -> LinkOfferOut:
    """A one-time ``t.me`` link (and its QR code) that links this account to Telegram."""
    return _offer(await linking.offer_link(who.user.id))


@router.get("/link", tags=["me"], responses=ERRORS)
async def link_status(who: Who, linking: Linking) -> LinkStatus:
    link = await linking.link_of(who.user.id)
    expires = await linking.pending(who.user.id)
    return LinkStatus(
        linked=link is not None,
        telegram=TelegramOut.of(link),
        pending=None if expires is None else PendingLink(expires_at=expires),
    )


@router.delete("/link/code", tags=["me"], responses=ERRORS)
async def cancel_link_code(who: Who, linking: Linking) -> Done:
    """Withdraw the live link code: the link it made stops working."""
    await linking.cancel(who.user.id)
    return Done()


@router.delete("/link", tags=["me"], responses={404: {"description": "Not linked"}, **ERRORS})
async def unlink(who: Who, linking: Linking) -> Done:
    await linking.unlink(user_id=who.user.id)
    return Done()


# -- the existing website's API ---------------------------------------------------------------

site = APIRouter(prefix="/api/site", tags=["site"], dependencies=[Depends(site_api_key)])
SITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or wrong API key"},
    404: {"description": "No such user"},
    422: {"description": "Invalid input"},
}


def _site_user(site_user_id: str, found: Any) -> SiteUserOut:
    return SiteUserOut(
        site_user_id=site_user_id,
        user=UserOut.of(found.user),
        linked=found.link is not None,
        telegram=TelegramOut.of(found.link),
    )


@site.put("/users/{site_user_id}", responses=SITE_ERRORS)
async def upsert_site_user(
    site_user_id: str, body: SiteUserIn, response: Response, users: SiteUsers
) -> SiteUserOut:
    """Create or update the user known by the website's own id, with name, role and karma."""
    found, created = await users.upsert(
        site_user_id, display_name=body.display_name, role=body.role, karma=body.karma
    )
    response.status_code = 201 if created else 200
    return _site_user(site_user_id, found)


@site.delete("/users/{site_user_id}", responses=SITE_ERRORS)
async def delete_site_user(site_user_id: str, users: SiteUsers) -> Done:
    """Forget the user: their Telegram link goes, and gated chats let them out."""
    await users.delete(site_user_id)
    return Done()


@site.get("/users/{site_user_id}", responses=SITE_ERRORS)
async def get_site_user(site_user_id: str, users: SiteUsers) -> SiteUserOut:
    return _site_user(site_user_id, await users.get(site_user_id))


@site.post("/users/{site_user_id}/link", responses=SITE_ERRORS)
async def site_link(site_user_id: str, users: SiteUsers) -> SiteLinkOut:
    """A one-time link for the website to show its user: opening it links their Telegram."""
    offer = await users.offer_link(site_user_id)
    return SiteLinkOut(url=offer.url, expires_at=offer.expires_at)


@site.delete("/users/{site_user_id}/telegram", responses=SITE_ERRORS)
async def site_unlink(site_user_id: str, users: SiteUsers) -> Done:
    await users.unlink(site_user_id)
    return Done()
