"""The site's own pages: sign-in, account (link Telegram), the Mini App entry, and the
targets Telegram sends users to (widget redirect, LoginUrl, the bot's sign-in links).

Every sign-in here that ends on a redirect goes to ``next`` (a path of this site, checked by
``deps.local_path``; else the account page): the login and register pages take it from the
query and carry it in their forms and links, so that an application that sent the user to
sign in (the OpenID provider's authorization request) gets them back."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from tgpass.domain.accounts import User
from tgpass.errors import InvalidAuthData, InvalidInput, TgpassError
from tgpass.i18n import N_, match
from tgpass.service.accounts import SessionService
from tgpass.settings import Settings

from . import deps
from .deps import Auth, Config, Linking, Notifications, Sessions, services_of
from .errors import as_sentence, headers_of, status_of
from .language import error_words, site_translator
from .rendering import render, sign_in_url

router = APIRouter(include_in_schema=False)
Next = Annotated[str, Form(alias="next")]  # checked, not limited: one too long is not followed
SIGNED_IN_WITH = {
    "password": N_("your password"),
    "widget": N_("the Telegram Login Widget"),
    "loginurl": N_("a Telegram login button"),
    "bot": N_("the bot's sign-in link"),
    "miniapp": N_("the Mini App"),
    "oidc": N_("Log in with Telegram"),
}
"""How a session began (its ``source``), as the account page says it."""
MESSAGE_STATES = {
    "queued": N_("waiting to be sent"),
    "sending": N_("being sent"),
    "sent": N_("sent"),
    "failed": N_("not delivered"),
    "unreachable": N_("the bot could not reach you"),
}
"""What became of a message from the bot, as the account page says it."""
EXPIRED_LINK = N_("This sign-in link has expired or was already used.")
TELEGRAM_FAILED = N_("Telegram sign-in failed: {reason}")


@cache
def _favicon() -> bytes:
    return (files("tgpass.web") / "static" / "favicon.svg").read_bytes()


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The site's icon (an SVG: every browser the pages support shows one)."""
    return Response(
        _favicon(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


async def _form_page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page with a form used before sign-in: it carries the double-submit CSRF token (which
    ``render`` gives the browser, for the language switcher's form too)."""
    return await render(request, name, status, csrf_token=deps.form_token(request), **context)


def _next_of(request: Request) -> str:
    """Where to go once signed in: the query's ``next`` when it is one path of this site."""
    asked = request.query_params.getlist("next")
    return deps.local_path(asked[0] if len(asked) == 1 else None)


async def _sign_in_page(
    request: Request,
    name: str,
    next_path: str,
    *,
    error: str | None = None,
    status: int = 200,
    **typed: str,
) -> Response:
    """The login or register page, carrying ``next`` in its form and its links, and what
    the person typed (``typed``: never a password) when it comes back with an error."""
    query = "" if next_path == deps.DEFAULT_NEXT else f"?{urlencode({'next': next_path})}"
    return await _form_page(
        request, name, status, error=error, next=next_path, next_query=query, typed=typed
    )


async def _login_page(
    request: Request,
    next_path: str,
    *,
    error: str | None = None,
    status: int = 200,
    username: str = "",
) -> Response:
    return await _sign_in_page(
        request, "login.html", next_path, error=error, status=status, username=username
    )


async def _signed_in(
    sessions: SessionService, settings: Settings, user: User, source: str, next_path: str
) -> Response:
    token, _ = await sessions.start(user, source)
    return _with_session(settings, token, user, next_path)


def _with_session(settings: Settings, token: str, user: User, next_path: str) -> Response:
    """Signed in, on to ``next_path`` (checked already)."""
    response = RedirectResponse(next_path, status_code=303)
    deps.set_session_cookie(response, settings, token, user)
    return response


@router.get("/")
async def home(request: Request) -> Response:
    signed_in = await deps.optional_principal(request)
    return RedirectResponse("/account" if signed_in else "/login", status_code=303)


@router.get("/login")
async def login_page(request: Request) -> Response:
    return await _login_page(request, _next_of(request))


@router.post("/login")
async def login_form(
    request: Request,
    auth: Auth,
    sessions: Sessions,
    settings: Config,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    next_path: Next = "",
) -> Response:
    next_path = deps.local_path(next_path)
    try:
        deps.check_form_csrf(request, csrf_token)
        client = deps.client_address(request)
        user = await auth.sign_in_password(username, password, client=client)
    except TgpassError as error:
        shown = await _login_page(
            request,
            next_path,
            error=as_sentence(error_words(request, error)),
            status=status_of(error),
            username=username,
        )
        shown.headers.update(headers_of(error) or {})  # a lockout's Retry-After
        return shown
    return await _signed_in(sessions, settings, user, "password", next_path)


@router.get("/register")
async def register_page(request: Request) -> Response:
    return await _sign_in_page(request, "register.html", _next_of(request))


@router.post("/register")
async def register_form(
    request: Request,
    auth: Auth,
    sessions: Sessions,
    settings: Config,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    display_name: Annotated[str, Form(max_length=128)] = "",
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    next_path: Next = "",
) -> Response:
    next_path = deps.local_path(next_path)
    try:
        deps.check_form_csrf(request, csrf_token)
        # the account is written only if its session starts
        async with auth.registration(username, password, display_name or None) as user:
            token, _ = await sessions.start(user, "password")
    except TgpassError as error:
        return await _sign_in_page(
            request,
            "register.html",
            next_path,
            error=as_sentence(error_words(request, error)),
            status=status_of(error),
            username=username,
            display_name=display_name,
        )
    return _with_session(settings, token, user, next_path)


@router.post("/logout")
async def logout(
    request: Request,
    sessions: Sessions,
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    everywhere: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    found = await deps.optional_principal(request)
    if found is not None and found.via == "session":
        deps.check_form_csrf(request, csrf_token, found.csrf_token)
        if everywhere:
            await sessions.end_everywhere(found.user.id)
        else:
            await sessions.end(request.cookies.get(deps.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    deps.clear_session_cookie(response)
    return response


@router.get("/account")
async def account(request: Request, linking: Linking, notifications: Notifications) -> Response:
    found = await deps.optional_principal(request)
    if found is None:
        return RedirectResponse(sign_in_url("/account"), status_code=303)
    user = found.user
    link = await linking.link_of(user.id)
    return await render(
        request,
        "account.html",
        user=user,
        link=link,
        source=found.source,
        signed_in_with=site_translator(request)._(SIGNED_IN_WITH[found.source])
        if found.source in SIGNED_IN_WITH
        else found.source,
        message_states=MESSAGE_STATES,
        has_password=user.password_hash is not None,
        # an account made with Telegram chooses its username with its password
        needs_username=user.username is None,
        csrf_token=found.csrf_token or "",
        pending=await linking.pending(user.id),
        notifications=await notifications.recent(user.id, limit=10),
    )


@router.get("/miniapp")
async def mini_app(request: Request) -> Response:
    # Who is signed in is known only once the page has signed in with the Mini App's data:
    # the header says nothing about it, the page does.
    return await render(request, "miniapp.html", nav_unknown=True)


async def _telegram_redirect(
    request: Request, auth: Auth, sessions: Sessions, settings: Config, source: str
) -> Response:
    next_path = _next_of(request)
    try:
        # The query string as sent, not a dict of it: a duplicated field must be refused.
        user = await auth.sign_in_widget(_signed_query(request))
    except TgpassError as error:
        return await _login_page(
            request,
            next_path,
            error=site_translator(request)._(TELEGRAM_FAILED, reason=error_words(request, error)),
            status=status_of(error),
        )
    return await _signed_in(sessions, settings, user, source, next_path)


def _signed_query(request: Request) -> str:
    """The query string as sent, less ``next``: Telegram adds its signed fields to the URL
    the site gave (``data-auth-url``, a LoginUrl button's ``url``), whose own parameters are
    not part of what it signs."""
    raw: bytes = request.scope.get("query_string", b"")
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise InvalidAuthData("malformed", "the query string is not valid UTF-8") from None
    if "next=" not in text:
        return text
    return "&".join(pair for pair in text.split("&") if pair.partition("=")[0] != "next")


@router.get("/auth/telegram/callback")
async def widget_redirect(
    request: Request, auth: Auth, sessions: Sessions, settings: Config
) -> Response:
    """The Login Widget's ``data-auth-url`` target."""
    return await _telegram_redirect(request, auth, sessions, settings, "widget")


@router.get("/auth/telegram/loginurl")
async def login_url(request: Request, auth: Auth, sessions: Sessions, settings: Config) -> Response:
    """A LoginUrl button's target: the same signed fields as the widget."""
    return await _telegram_redirect(request, auth, sessions, settings, "loginurl")


@router.get("/auth/bot")
async def bot_link(
    request: Request, linking: Linking, sessions: Sessions, settings: Config, code: str = ""
) -> Response:
    """The one-time sign-in link the bot sends on /login."""
    next_path = _next_of(request)
    user = await linking.redeem_login(code)
    if user is None:
        return await _login_page(
            request,
            next_path,
            error=site_translator(request)._(EXPIRED_LINK),
            status=401,
        )
    return await _signed_in(sessions, settings, user, "bot", next_path)


@router.post("/language")
async def choose_language(
    request: Request,
    auth: Auth,
    settings: Config,
    language: Annotated[str, Form(max_length=35)] = "",
    language_token: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form()] = "",  # checked, not limited, as ``next`` is
) -> Response:
    """The language switcher: the choice kept in the browser and, for someone signed in,
    with their account; then back to the page it was made on."""
    # fields of its own names: a page's other forms keep theirs (csrf_token, next) to themselves
    deps.check_form_csrf(request, language_token)
    chosen = match(language, services_of(request).catalogs.offered)
    if chosen is None:
        raise InvalidInput(
            "{language} is not a language of this site",
            field="language",
            values={"language": language},
        )
    found = await deps.optional_principal(request)
    if found is not None and found.via == "session" and found.user.language != chosen:
        await auth.choose_language(found.user.id, chosen)
    response = RedirectResponse(deps.local_path(back), status_code=303)
    deps.set_language_cookie(response, chosen, secure=settings.secure_cookies)
    return response
