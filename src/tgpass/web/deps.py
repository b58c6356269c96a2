"""What a route may ask for: one dependency per use case, declared here once (``Auth``,
``Linking``, ``Gating``…), so that a router names what it calls, never the container; who
is asking (a session cookie, a Mini App's ``Authorization: tma``, the website's API key);
CSRF protection for cookie-authenticated writes; and where a sign-in may send the browser
next (``local_path``)."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from tgpass.container import Services
from tgpass.domain.accounts import User
from tgpass.errors import AuthError, ConfigError, Forbidden, InvalidInput
from tgpass.service.accounts import AuthService, LinkingService, SessionService, SiteService
from tgpass.service.bot import BotService
from tgpass.service.gating import GatingService
from tgpass.service.metrics import Metrics
from tgpass.service.notify import NotificationService
from tgpass.service.oidc import TelegramLoginClient
from tgpass.service.oidc.provider import OidcProvider
from tgpass.service.ports import AccountStore, KeyValueStore
from tgpass.service.webhooks import WebhookService
from tgpass.settings import Settings

SESSION_COOKIE = "tgpass_session"
LANGUAGE_COOKIE = "tgpass_lang"
LANGUAGE_COOKIE_AGE = 365 * 86400
CSRF_COOKIE = "tgpass_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_NEXT = "/account"
MAX_NEXT = 2000
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def services_of(request: Request) -> Services:
    """The container, for the app's own wiring; routes ask for a use case instead."""
    found: Services = request.app.state.services
    return found


# -- one dependency per use case ------------------------------------------------------------


T = TypeVar("T")


def _part(pick: Callable[[Services], T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency giving one part of the container (async: FastAPI would run a sync one in
    a thread)."""

    async def dependency(request: Request) -> T:
        return pick(services_of(request))

    return dependency


Config = Annotated[Settings, Depends(_part(lambda s: s.settings))]
Auth = Annotated[AuthService, Depends(_part(lambda s: s.auth))]
Sessions = Annotated[SessionService, Depends(_part(lambda s: s.sessions))]
Linking = Annotated[LinkingService, Depends(_part(lambda s: s.linking))]
SiteUsers = Annotated[SiteService, Depends(_part(lambda s: s.site))]
Notifications = Annotated[NotificationService, Depends(_part(lambda s: s.notifications))]
Gating = Annotated[GatingService, Depends(_part(lambda s: s.gating))]
Bot = Annotated[BotService, Depends(_part(lambda s: s.bot))]
Accounts = Annotated[AccountStore, Depends(_part(lambda s: s.accounts))]
"""The accounts as the read cache holds them: lookups by id, name or site id."""
Provider = Annotated[OidcProvider, Depends(_part(lambda s: s.oidc_provider))]
TelegramLogin = Annotated[TelegramLoginClient | None, Depends(_part(lambda s: s.telegram_login))]
MetricsDep = Annotated[Metrics, Depends(_part(lambda s: s.metrics))]
Kv = Annotated[KeyValueStore, Depends(_part(lambda s: s.kv))]
Webhooks = Annotated[WebhookService, Depends(_part(lambda s: s.webhooks))]
DatabaseAnswers = Annotated[
    Callable[[], Awaitable[None]], Depends(_part(lambda s: s.database_answers))
]


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    source: str
    via: str  # "session" | "tma"
    csrf_token: str | None = None


async def optional_principal(request: Request) -> Principal | None:
    services = services_of(request)
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "tma":
        user, _ = await services.auth.sign_in_mini_app(credentials.strip())
        return Principal(user, "miniapp", "tma")
    session = await services.sessions.resolve(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    return Principal(session.user, session.source, "session", session.csrf_token)


async def principal(request: Request) -> Principal:
    """Signed in, by session or Mini App init data; writes by session need the CSRF token."""
    found = await optional_principal(request)
    if found is None:
        raise AuthError("sign in first")
    if found.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not found.csrf_token or not same_token(sent, found.csrf_token):
            raise Forbidden("missing or wrong X-CSRF-Token", code="csrf_failed")
    return found


Who = Annotated[Principal, Depends(principal)]
"""The signed-in caller (by session or Mini App init data)."""


def same_token(sent: str, expected: str) -> bool:
    """In constant time, as bytes: ``compare_digest`` refuses ``str`` holding non-ASCII
    (a header is read as Latin-1, a form as UTF-8: anything may arrive)."""
    return hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def local_path(raw: str | None) -> str:
    """``raw`` when it is a path on this site, else the account page: where a sign-in may
    send the browser next. A path starts with one ``/`` (``//host`` is another site), holds
    no backslash (browsers read ``/\\host`` as ``//host``), no space or control character
    (browsers drop tabs and newlines from URLs), and is at most 2000 characters long."""
    if not raw or len(raw) > MAX_NEXT or not raw.startswith("/") or raw.startswith("//"):
        return DEFAULT_NEXT
    if "\\" in raw or not raw.isprintable() or any(c.isspace() for c in raw):
        return DEFAULT_NEXT
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return raw


async def site_api_key(request: Request) -> None:
    """The existing website, by ``Authorization: Bearer <api key>``."""
    keys = services_of(request).settings.api_keys
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    valid = scheme.lower() == "bearer" and any(
        hmac.compare_digest(key.strip().encode(), k.encode()) for k in keys
    )
    if not valid:
        raise AuthError("a valid API key is required (Authorization: Bearer ...)")


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """``settings.trusted_proxies`` parsed: addresses and networks (CIDR)."""
    try:
        return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies)
    except ValueError:
        raise ConfigError("TGPASS_TRUSTED_PROXIES holds something not an address") from None


def _address(text: str) -> Address | None:
    try:
        found = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _trusted(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: Request) -> str:
    """Who is calling, as far as can be believed: the peer, unless the peer is a trusted proxy
    (``settings.trusted_proxies``); then the right-most address of ``X-Forwarded-For`` that is
    not a trusted proxy (the left part is whatever the client wrote). IPv6 clients count by
    their /64, which one subscriber usually holds whole."""
    peer_text = request.client.host if request.client else ""
    peer = _address(peer_text)
    networks = trusted_networks(services_of(request).settings.trusted_proxies)
    found = peer
    if _trusted(peer, networks):
        hops = [
            hop.strip()
            for header in request.headers.getlist("x-forwarded-for")
            for hop in header.split(",")
            if hop.strip()
        ]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:  # garbage handed on by a proxy: blame the proxy
                break
            found = address
            if not _trusted(address, networks):
                break
    if found is None:
        return peer_text or "unknown"
    if isinstance(found, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((found, 64), strict=False))
    return str(found)


async def require_json(request: Request) -> None:
    """Sign-in endpoints take JSON only: a cross-site form cannot send it without CORS."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise InvalidInput(
            "send JSON (Content-Type: application/json)", code="unsupported_media_type"
        )


def set_session_cookie(response: Response, settings: Settings, token: str, user: User) -> None:
    """Signed in: the session's cookie, and the language the account chose (when it chose
    one), so that the pages speak it in this browser too."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    if user.language is not None:
        set_language_cookie(response, user.language, secure=settings.secure_cookies)


def set_language_cookie(response: Response, language: str, *, secure: bool) -> None:
    """A person's choice of language, kept in their browser (not a secret: readable by the
    page, sent on every request, including cross-site top-level navigations)."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        secure=secure,
        httponly=False,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def form_token(request: Request) -> str:
    """The double-submit token for forms shown before sign-in (login, register) and for the
    language switcher: the browser's, else a new one, the same for the whole request."""
    made: str | None = getattr(request.state, "form_token", None)
    if made is None:
        token = request.cookies.get(CSRF_COOKIE)
        made = token if token and len(token) <= 64 else secrets.token_urlsafe(24)
        request.state.form_token = made
    return made


def set_form_token(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=False,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def check_form_csrf(request: Request, sent: str | None, session_token: str | None = None) -> None:
    expected = session_token or request.cookies.get(CSRF_COOKIE) or ""
    if not expected or not sent or not same_token(sent, expected):
        raise Forbidden("the form expired; reload the page and try again", code="csrf_failed")
