"""tgpass as an OpenID Connect provider: the other applications of the site (a forum, Grafana,
a wiki, a mobile app) sign their users in through tgpass, and so through Telegram, and learn
what the site knows of them (roles, karma, the gated chats they are in) when the user allows.

The use cases are here; the protocol rules are Authlib's (``oidc_provider_authlib``), the
keys ``oidc_provider_keys``, the claims ``oidc_provider_claims``, the registration rules
``oidc_provider_clients``, and what is kept ``oidc_provider_store`` (the port). Outcomes are
frozen dataclasses the web layer turns into pages and redirects.

The authorization code flow only (with PKCE, S256), refresh tokens rotated on every use, RP-
initiated logout and revocation. No implicit or hybrid flow, no dynamic registration: clients
are registered by the site (its API or the CLI).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from tgpass.domain.accounts import User
from tgpass.errors import AuthError, Forbidden
from tgpass.service.oidc.provider.claims import (
    CLAIMS,
    DESCRIPTIONS,
    SCOPES,
    ChatsOf,
    claims_of,
    no_chats,
)
from tgpass.service.oidc.provider.clients import NewClient, new_client
from tgpass.service.oidc.provider.keys import DEFAULT_ALG, SIGNING_ALGORITHMS, KeyRing, Rotation
from tgpass.service.oidc.provider.protocol import Backend as _Backend
from tgpass.service.oidc.provider.protocol import (
    Failure,
    Protocol,
    ProtocolRequest,
    ProtocolResponse,
)
from tgpass.service.oidc.provider.store import Lifetimes, OidcClient, OidcStore, secret_hash
from tgpass.service.ports import AccountStore

__all__ = [
    "AskConsent",
    "AuthorizeOutcome",
    "ConfirmLogout",
    "EndUser",
    "Endpoints",
    "InsufficientScope",
    "InvalidToken",
    "Lifetimes",
    "LogoutOutcome",
    "NewClient",
    "OidcProvider",
    "ProtocolRequest",
    "ProtocolResponse",
    "Redirect",
    "Refused",
    "Rotation",
    "SignInFirst",
    "SignedOut",
]

log = logging.getLogger("tgpass.oidc_provider")
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
CODE_RETENTION = 86400
"""Seconds a used code is kept after it expired, so that a replay still revokes its grant."""
PURGE_INTERVAL = 3600.0
"""Seconds between the worker's purges of expired codes and tokens."""
PURGE_TIMEOUT = 300.0
"""Seconds one purge may take before it is given up (and the worker retries it)."""


class InvalidToken(AuthError):
    """No access token, or one that is unknown, expired or revoked (RFC 6750 §3.1)."""

    code = "invalid_token"


class InsufficientScope(Forbidden):
    """The access token was not granted the ``openid`` scope (RFC 6750 §3.1)."""

    code = "insufficient_scope"


@dataclass(frozen=True, slots=True)
class EndUser:
    """Who is signed in to the site in this browser, and since when."""

    user: User
    auth_time: float


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the provider's endpoints are (the web layer knows its routes)."""

    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str
    revocation: str


# -- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignInFirst:
    """Send the user to sign in, then back to the same request (without ``prompt=login``
    when ``drop_login``: the new session answers it)."""

    drop_login: bool = False


@dataclass(frozen=True, slots=True)
class AskConsent:
    client_id: str
    client_name: str
    scopes: tuple[tuple[str, str], ...]
    """(scope, what it shares), in the order asked."""


@dataclass(frozen=True, slots=True)
class Redirect:
    """Back to the client: with a code, or with an error its redirect URI may receive."""

    location: str


@dataclass(frozen=True, slots=True)
class Refused:
    """An error shown to the user: the request cannot be trusted to redirect anywhere."""

    error: str
    description: str
    status: int = 400


AuthorizeOutcome = SignInFirst | AskConsent | Redirect | Refused


@dataclass(frozen=True, slots=True)
class ConfirmLogout:
    """Ask the user before signing out (no ID token says the client's user is this one)."""

    client_name: str | None


@dataclass(frozen=True, slots=True)
class SignedOut:
    """Sign out (``end_session``: the browser had a session), then go to ``redirect``."""

    redirect: str | None
    end_session: bool


LogoutOutcome = ConfirmLogout | SignedOut | Refused


def _refused(failure: Failure, issuer: str) -> Redirect | Refused:
    if failure.redirect is not None:
        return Redirect(_naming(issuer, failure.redirect))
    return Refused(failure.error, failure.description, failure.status)


def _naming(issuer: str, location: str) -> str:
    """Every authorization response, error or not, names its issuer (RFC 9207 §2), so a
    client of several providers can tell which one answered (a mix-up attack)."""
    joint = "&" if urlsplit(location).query else "?"
    return f"{location}{joint}{urlencode({'iss': issuer})}"


class OidcProvider:
    def __init__(
        self,
        store: OidcStore,
        accounts: AccountStore,
        *,
        issuer: str,
        lifetimes: Lifetimes | None = None,
        chats_of: ChatsOf = no_chats,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.issuer = issuer.rstrip("/")
        self.lifetimes = lifetimes or Lifetimes()
        self.chats_of = chats_of
        self.clock = clock
        self.keys = KeyRing(store, overlap=self.lifetimes.key_overlap, clock=clock)
        self.protocol = Protocol(
            _Backend(store, accounts, self.keys, self.issuer, self.lifetimes, clock, self.claims)
        )

    async def close(self) -> None:
        await self.store.close()

    # -- metadata -----------------------------------------------------------------------------

    def discovery(self, endpoints: Endpoints) -> dict[str, Any]:
        """The OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": endpoints.authorization,
            "token_endpoint": endpoints.token,
            "userinfo_endpoint": endpoints.userinfo,
            "jwks_uri": endpoints.jwks,
            "end_session_endpoint": endpoints.end_session,
            "revocation_endpoint": endpoints.revocation,
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_supported": ["iss", "aud", "exp", "iat", "auth_time", "nonce", *CLAIMS],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "authorization_response_iss_parameter_supported": True,
        }

    async def jwks(self) -> dict[str, Any]:
        for alg in SIGNING_ALGORITHMS:  # a new provider publishes its first keys
            await self.keys.signer(alg)
        return await self.keys.jwks()

    # -- the authorization endpoint -----------------------------------------------------------

    async def authorize(
        self, request: ProtocolRequest, who: EndUser | None, *, decision: bool | None = None
    ) -> AuthorizeOutcome:
        """An authorization request: what to show or where to go. ``decision`` is the user's
        answer on the consent page (None: not asked yet)."""
        checked = await self.protocol.check_authorization(request, who.user if who else None)
        if isinstance(checked, Failure):
            return _refused(checked, self.issuer)
        if who is None:  # (prompt=none was answered login_required already)
            return SignInFirst(drop_login=True)
        # in whole seconds, as the ID token's auth_time says it (max_age=0 is no loop)
        elapsed = int(self.clock()) - int(who.auth_time)
        stale = checked.max_age is not None and elapsed > checked.max_age
        if decision is None and (stale or "login" in checked.prompts):
            if "none" in checked.prompts:
                return _refused(self.protocol.refuse(checked, "login_required"), self.issuer)
            return SignInFirst(drop_login=True)
        client, scopes = checked.client, frozenset(checked.scopes)
        if decision is None:
            remembered = await self.store.consented(who.user.id, client.client_id)
            if remembered is None or not scopes <= remembered or "consent" in checked.prompts:
                if "none" in checked.prompts:
                    return _refused(self.protocol.refuse(checked, "consent_required"), self.issuer)
                shown = tuple((s, DESCRIPTIONS[s]) for s in checked.scopes)
                return AskConsent(client.client_id, client.name, shown)
        elif decision:
            await self.store.add_consent(who.user.id, client.client_id, scopes, now=self.clock())
        granted = None if decision is False else who.user
        found = await self.protocol.authorize(checked, granted, auth_time=who.auth_time)
        if isinstance(found, Failure):
            return _refused(found, self.issuer)
        return Redirect(_naming(self.issuer, found))

    # -- the token, userinfo and revocation endpoints -----------------------------------------

    async def token(self, request: ProtocolRequest) -> ProtocolResponse:
        return await self.protocol.token(request)

    async def revoke(self, request: ProtocolRequest) -> ProtocolResponse:
        return await self.protocol.revoke(request)

    async def userinfo(self, access_token: str | None) -> dict[str, Any]:
        """The claims an access token was granted. Raises InvalidToken, InsufficientScope."""
        if not access_token or len(access_token) > 512:
            raise InvalidToken("an access token is required (Authorization: Bearer ...)")
        found = await self.store.get_token(secret_hash(access_token))
        if found is None or found.kind != "access" or not found.live(self.clock()):
            raise InvalidToken("the access token is unknown, expired or revoked")
        if "openid" not in found.scope.split():
            raise InsufficientScope("the access token was not granted the openid scope")
        user = await self.accounts.get_user(found.user_id)
        if user is None:
            raise InvalidToken("the account is gone")
        return await self.claims(user, found.scope)

    async def claims(self, user: User, scope: str) -> dict[str, Any]:
        link = await self.accounts.telegram_link(user_id=user.id)
        subject = await self.subject_of(user.id)
        return await claims_of(
            user, link, subject=subject, scopes=scope.split(), chats_of=self.chats_of
        )

    async def subject_of(self, user_id: int) -> str:
        return await self.store.subject(user_id, new=secrets.token_urlsafe(16))

    # -- RP-initiated logout ------------------------------------------------------------------

    async def end_session(
        self, request: ProtocolRequest, who: EndUser | None, *, confirmed: bool = False
    ) -> LogoutOutcome:
        """A logout request from a client. Without an ID token of this browser's user, the
        user is asked first (``confirmed`` once they said yes)."""
        checked = await self.protocol.check_logout(request, confirmed=confirmed)
        if isinstance(checked, Failure):
            return Refused(checked.error, checked.description, checked.status)
        if not confirmed:
            hint = checked.hint
            ours = hint is not None and (
                who is None or hint.get("sub") == await self.subject_of(who.user.id)
            )
            if not ours:
                return ConfirmLogout(checked.client.name if checked.client else None)
        return SignedOut(checked.redirect, end_session=who is not None)

    # -- administration -----------------------------------------------------------------------

    async def register_client(
        self,
        name: str,
        redirect_uris: Iterable[str],
        *,
        public: bool = False,
        post_logout_redirect_uris: Iterable[str] = (),
        scopes: Iterable[str] | None = None,
        id_token_alg: str = DEFAULT_ALG,
    ) -> NewClient:
        """A new client, with its secret (unless public): the only time the secret is seen."""
        made = new_client(
            name,
            redirect_uris,
            public=public,
            post_logout_redirect_uris=post_logout_redirect_uris,
            scopes=scopes,
            id_token_alg=id_token_alg,
            now=self.clock(),
        )
        await self.store.add_client(made.client)
        return made

    async def clients(self) -> list[OidcClient]:
        return await self.store.list_clients()

    async def rotate_keys(self) -> Rotation:
        return await self.keys.rotate()

    async def revoke_user(self, user_id: int) -> None:
        """Revoke every grant the account gave (it signed out everywhere): the applications'
        access and refresh tokens stop working, and a code not yet traded buys nothing. What
        it consented to is remembered; the next sign-in gives new grants."""
        await self.store.revoke_user(user_id, now=self.clock())
        log.info("every grant of an account revoked")

    async def purge(self) -> int:
        """Forget expired tokens, and codes a day after they expired."""
        now = self.clock()
        return await self.store.purge(codes_before=now - CODE_RETENTION, tokens_before=now)

    async def purge_every(
        self, interval: float = PURGE_INTERVAL, *, timeout: float = PURGE_TIMEOUT
    ) -> None:
        """Purge now and every ``interval`` seconds, until cancelled: the worker's loop. A
        purge that fails or takes longer than ``timeout`` raises, and the worker restarts
        the loop."""
        while True:
            async with asyncio.timeout(timeout):
                deleted = await self.purge()
            if deleted:
                log.info("purged %d expired codes, tokens and grants", deleted)
            await asyncio.sleep(interval)
