"""Sign in with Telegram Login, Telegram's OpenID Connect provider, as its relying party
(core.telegram.org/bots/telegram-login): the Authorization Code flow with PKCE (S256), the
bot's id as the client id with the secret BotFather gives, and an ID token that carries the
user (Telegram has no userinfo endpoint).

Which Authlib parts, and why. Authlib's Starlette client (``starlette_client.OAuth``) keeps a
login's ``state``, ``nonce`` and PKCE verifier in ``request.session``, a signed cookie that
needs Starlette's SessionMiddleware. This site has no such session, and a pending login
belongs on the server: in the KV store (shared by every process), with a TTL, taken once. The
rest of that client is framework-free and used whole: its app class, ``StarletteOAuth2App``,
is ``AsyncOAuth2Mixin`` + ``AsyncOpenIDMixin`` + ``BaseApp`` over
``httpx_client.AsyncOAuth2Client``, plus the session mixin. ``TelegramLoginApp`` is that
class without the session mixin, and it does the protocol:

- ``load_server_metadata``: discovery, at ``<issuer>/.well-known/openid-configuration``;
- ``create_authorization_url``: ``state``, ``nonce``, and the PKCE verifier with its S256
  challenge;
- ``fetch_access_token``: the code traded at the token endpoint with the verifier,
  authenticated by ``client_secret_basic``;
- ``parse_id_token``: the JWKS fetched once and cached, and fetched again, once, when a token
  names a key it does not hold (a rotation); the signature checked by joserfc, for the
  algorithms the issuer lists (RS256, ES256, EdDSA, ES256K); then ``CodeIDToken``'s checks of
  ``iss``, ``aud``, ``exp``, ``iat`` (with a leeway for clocks), ``nonce``, ``azp``.

What is ours: where a pending login waits (the KV store, under a keyed hash of its ``state``,
bound to the browser that started it by a random value kept in a short-lived cookie); the
discovery document checked (its issuer must be the one configured, its algorithms are cut to
Telegram's); ``iss`` and ``aud`` asked for explicitly (Authlib checks ``aud`` only when told);
and every failure mapped to the error tree. Nothing is written before every check has passed.

Telegram's JS library (``<issuer>/js/telegram-login.js``) is the other way in: its popup hands
the page an ID token directly, with the ``nonce`` the page gave it. ``issue_nonce`` makes that
nonce, kept like a pending login (keyed hash, TTL, bound to the browser's cookie);
``finish_id_token`` takes it once and verifies the token as the code flow's (``_verify``), with
Authlib's checks for a token that came without an access token (the nonce is essential).
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.integrations.base_client import BaseApp, OAuthError  # type: ignore[import-untyped]
from authlib.integrations.base_client.async_app import (  # type: ignore[import-untyped]
    AsyncOAuth2Mixin,
)
from authlib.integrations.base_client.async_openid import (  # type: ignore[import-untyped]
    AsyncOpenIDMixin,
)
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    UnsupportedAlgorithmError,
)
from joserfc.jws import extract_compact

from tgpass.domain.accounts import TelegramProfile, User
from tgpass.domain.codes import code_key
from tgpass.errors import (
    AuthError,
    ConfigError,
    Forbidden,
    InvalidAuthData,
    InvalidInput,
    TelegramTransient,
)
from tgpass.service.accounts.auth import AuthService
from tgpass.service.ports import KeyValueStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # Authlib would rather have httpx2
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
    )

ACCEPTED_ALGORITHMS = ("RS256", "ES256", "EdDSA", "ES256K")
"""What Telegram signs ID tokens with (RS256 unless the bot chose another)."""
PENDING_TTL = 600
"""Seconds a login started here may take to come back (Telegram's own request lives ten)."""
METADATA_TTL = 86400.0
"""Seconds the discovery document is trusted before it is read again."""
LEEWAY = 120
"""Seconds of clock difference allowed on ``exp`` and ``iat``."""
PHONE_SIZE = 32  # what the link's phone_number column holds
ID_TOKEN_SIZE = 16384
"""Characters an ID token from the JS library may have (Telegram's are under two thousand)."""
LIBRARY_ACCESS = {"phone": "phone", "telegram:bot_access": "write"}
"""The JS library's ``request_access`` for each scope it can ask beyond openid and profile."""
NO_GRANT_KNOWN: frozenset[str] = frozenset()
"""What the JS library's answer says was granted: nothing (no scope in it, no token response),
so the bot's access is not assumed, as when a code flow's token response does not grant it."""
_BROWSER = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CLAIM_CODES = {
    "aud": "wrong_audience",
    "azp": "wrong_audience",
    "iss": "wrong_issuer",
    "nonce": "nonce_mismatch",
}


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The site as a client of Telegram Login."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    """The callback, exactly as allowed in BotFather's Web Login settings."""
    scopes: tuple[str, ...] = ("openid", "profile", "phone", "telegram:bot_access")
    pending_ttl: int = PENDING_TTL
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not {"openid", "profile"} <= set(self.scopes):
            raise ConfigError("Telegram Login needs the scopes openid and profile (the user's id)")
        if not self.client_id or not self.client_secret:
            raise ConfigError("Telegram Login needs a client id and a client secret")
        object.__setattr__(self, "issuer", self.issuer.rstrip("/"))


@dataclass(frozen=True, slots=True)
class LoginStarted:
    """Send the browser to ``url``, and keep ``browser`` in its cookie for ``ttl`` seconds."""

    url: str
    browser: str
    ttl: int


@dataclass(frozen=True, slots=True)
class NonceIssued:
    """For Telegram's JS library: ``Telegram.Login.auth({client_id, request_access, nonce})``;
    keep ``browser`` in the browser's cookie for ``ttl`` seconds."""

    nonce: str
    browser: str
    ttl: int
    client_id: str
    request_access: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TelegramIdentity:
    """Who the verified ID token says signed in, and what they granted."""

    profile: TelegramProfile
    subject: str
    phone_number: str | None
    bot_access: bool


@dataclass(frozen=True, slots=True)
class SignedInWithTelegram:
    user: User
    identity: TelegramIdentity
    next_path: str


@dataclass(frozen=True, slots=True)
class _Pending:
    nonce: str
    verifier: str
    next_path: str


class TelegramLoginApp(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):  # type: ignore[misc]
    """Authlib's Starlette OAuth 2 app without its session mixin (see the module's notes)."""

    client_cls = AsyncOAuth2Client


class _Kept(httpx.AsyncBaseTransport):
    """One transport under the short-lived clients Authlib makes for each call: a client that
    closes leaves it open (its connections are kept); ``TelegramLoginClient.close`` closes it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None


@contextmanager
def _talking_to_issuer(step: str) -> Iterator[None]:
    """What goes wrong between the site and the issuer is the issuer's (a 502), never ours."""
    try:
        yield
    except httpx.HTTPStatusError as failed:
        raise TelegramTransient(
            "Telegram Login answered HTTP {status} ({step})",
            method=step,
            code="issuer_unreachable",
            values={"status": failed.response.status_code, "step": step},
        ) from None
    except httpx.HTTPError as failed:
        raise TelegramTransient(
            "Telegram Login could not be reached ({step}: {problem})",
            method=step,
            code="issuer_unreachable",
            values={"step": step, "problem": type(failed).__name__},
        ) from None
    except (ValueError, KeyError, TypeError, RuntimeError) as failed:
        # a document that is not JSON, or lacks what the protocol needs
        raise TelegramTransient(
            "Telegram Login answered something unusable ({step}: {problem})",
            method=step,
            code="issuer_error",
            values={"step": step, "problem": failed},
        ) from None


class TelegramLoginClient:
    """The use case: ``start`` a login, ``finish`` it when the browser comes back."""

    def __init__(
        self,
        config: OidcConfig,
        kv: KeyValueStore,
        auth: AuthService,
        *,
        secret_key: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.kv = kv
        self.auth = auth
        self.secret_key = secret_key
        self.clock = clock
        self.transport = transport or httpx.AsyncHTTPTransport(retries=1)
        self.app = TelegramLoginApp(
            None,
            name="telegram",
            client_id=config.client_id,
            client_secret=config.client_secret,
            server_metadata_url=f"{config.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": " ".join(config.scopes),
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic",
                "timeout": config.timeout,
                "transport": _Kept(self.transport),
            },
        )

    async def close(self) -> None:
        await self.transport.aclose()

    def _key(self, purpose: str, value: str) -> str:
        return code_key(self.secret_key, purpose, value)

    # -- the way there ------------------------------------------------------------------------

    async def start(self, *, next_path: str, browser: str | None = None) -> LoginStarted:
        """A login request: the URL of Telegram's authorization endpoint, and the browser's
        value (``browser`` when it is one of ours, else a new one). ``next_path`` must already
        be a checked path of this site; the browser goes there when signed in."""
        if browser is None or not _BROWSER.fullmatch(browser):
            browser = secrets.token_urlsafe(24)
        await self._metadata()
        with _talking_to_issuer("authorize"):
            made: Mapping[str, Any] = await self.app.create_authorization_url(
                self.config.redirect_uri
            )
        pending = {
            "browser": self._key("oidc-browser", browser),
            "nonce": made["nonce"],
            "verifier": made["code_verifier"],
            "next": next_path,
        }
        ttl = self.config.pending_ttl
        await self.kv.set_json(self._key("oidc-login", made["state"]), pending, ttl)
        return LoginStarted(str(made["url"]), browser, ttl)

    def _check_issuer(self, issued: str | None, meta: Mapping[str, Any]) -> None:
        """RFC 9207: a response naming another issuer came from another provider (a mix-up
        attack), and one that should name its issuer but does not is refused too."""
        if issued is None and meta.get("authorization_response_iss_parameter_supported") is True:
            raise AuthError(
                "The sign-in response did not name Telegram: start again.", code="issuer_mismatch"
            )
        if issued is not None and issued != self.config.issuer:
            raise AuthError(
                "The sign-in response came from another provider: start again.",
                code="issuer_mismatch",
            )

    async def _metadata(self) -> Mapping[str, Any]:
        """Discovery, read once a day: its issuer must be ours; only Telegram's algorithms."""
        meta: dict[str, Any] = self.app.server_metadata
        loaded = meta.get("_loaded_at")
        if isinstance(loaded, float) and self.clock() - loaded > METADATA_TTL:
            del meta["_loaded_at"]  # read again; the JWKS stays cached until a key is missing
        with _talking_to_issuer("discovery"):
            meta = await self.app.load_server_metadata()
        if meta.get("issuer") != self.config.issuer:
            meta.pop("_loaded_at", None)
            raise TelegramTransient(
                "Telegram Login's discovery names another issuer than {issuer}",
                method="discovery",
                code="issuer_error",
                values={"issuer": self.config.issuer},
            )
        listed = meta.get("id_token_signing_alg_values_supported")
        if not isinstance(listed, list):
            listed = ["RS256"]  # the default of OpenID Connect Discovery
        meta["id_token_signing_alg_values_supported"] = [
            a for a in listed if a in ACCEPTED_ALGORITHMS
        ]
        return meta

    # -- and back -----------------------------------------------------------------------------

    async def finish(
        self, params: Sequence[tuple[str, str]], *, browser: str | None
    ) -> SignedInWithTelegram:
        """The browser is back with ``code`` and ``state`` (or ``error``): trade the code,
        verify the ID token, and sign the user in. Every failure raises (the error tree) before
        anything is written."""
        query = _callback_query(params)
        pending = await self._take(query.get("state"), browser)
        self._check_issuer(query.get("iss"), await self._metadata())
        error = query.get("error")
        if error is not None:
            if error == "access_denied":
                raise Forbidden("You declined the sign-in in Telegram.", code="access_denied")
            shown = re.sub(r"[^A-Za-z0-9_.:-]", "", error)[:64]
            if not shown:
                raise AuthError("Telegram refused the sign-in.", code="telegram_refused")
            raise AuthError(
                "Telegram refused the sign-in ({error}).",
                code="telegram_refused",
                values={"error": shown},
            )
        code = query.get("code")
        if not code:
            raise AuthError("Telegram sent no code back: start again.", code="missing_code")
        token = await self._trade(code, pending.verifier)
        claims = await self._verify(token, pending.nonce)
        identity = identity_of(claims, granted=_granted(token, self.config.scopes))
        user = await self.auth.sign_in_oidc(
            identity.profile, phone_number=identity.phone_number, bot_access=identity.bot_access
        )
        return SignedInWithTelegram(user, identity, pending.next_path)

    async def _take(self, state: str | None, browser: str | None) -> _Pending:
        """The login ``state`` stands for, once, and only in the browser that started it."""
        if not state or len(state) > 512:
            raise AuthError("Telegram sent no state back: start again.", code="bad_state")
        record = await self._claim(self._key("oidc-login", state), browser, "bad_state")
        return _Pending(str(record["nonce"]), str(record["verifier"]), str(record["next"]))

    async def _claim(self, key: str, browser: str | None, code: str) -> dict[str, Any]:
        """The pending record under ``key``, taken once, and only by the browser it is bound
        to; else ``AuthError(code)``."""
        record = await self.kv.get_json(key)
        if not isinstance(record, dict):
            raise AuthError("This sign-in expired or was already used: start again.", code=code)
        mine = browser is not None and hmac.compare_digest(
            self._key("oidc-browser", browser), str(record.get("browser", ""))
        )
        if not mine:
            raise AuthError(
                "This sign-in was started in another browser: start it again here.", code=code
            )
        if await self.kv.pop(key) is None:  # another request took it meanwhile
            raise AuthError("This sign-in was already used: start again.", code=code)
        return record

    # -- Telegram's JS library: the ID token straight from its popup ---------------------------

    async def issue_nonce(self, *, next_path: str, browser: str | None) -> NonceIssued:
        """A one-time nonce for the JS library's popup, bound to ``browser`` (when it is one of
        ours, else a new one); ``next_path`` (a checked path of this site) is where the
        browser goes once signed in."""
        if browser is None or not _BROWSER.fullmatch(browser):
            browser = secrets.token_urlsafe(24)
        nonce = secrets.token_urlsafe(24)
        ttl = self.config.pending_ttl
        record = {"browser": self._key("oidc-browser", browser), "next": next_path}
        await self.kv.set_json(self._key("oidc-nonce", nonce), record, ttl)
        access = tuple(LIBRARY_ACCESS[s] for s in self.config.scopes if s in LIBRARY_ACCESS)
        return NonceIssued(nonce, browser, ttl, self.config.client_id, access)

    async def finish_id_token(self, id_token: str, *, browser: str | None) -> SignedInWithTelegram:
        """What the JS library's callback received (``id_token``): its nonce taken, once, in
        the browser it was issued to; the token verified as the code flow's; the user signed
        in. Every failure raises (the error tree) before an account is written."""
        if not id_token or len(id_token) > ID_TOKEN_SIZE:
            raise InvalidInput(
                "id_token must be 1 to {most} characters",
                field="id_token",
                values={"most": ID_TOKEN_SIZE},
            )
        nonce = _unverified_nonce(id_token)
        record = await self._claim(self._key("oidc-nonce", nonce), browser, "bad_nonce")
        await self._metadata()
        claims = await self._verify({"id_token": id_token}, nonce)
        identity = identity_of(claims, granted=NO_GRANT_KNOWN)
        user = await self.auth.sign_in_oidc(
            identity.profile, phone_number=identity.phone_number, bot_access=identity.bot_access
        )
        return SignedInWithTelegram(user, identity, str(record["next"]))

    async def _trade(self, code: str, verifier: str) -> Mapping[str, Any]:
        try:
            with _talking_to_issuer("token"):
                token: Mapping[str, Any] = await self.app.fetch_access_token(
                    self.config.redirect_uri, code=code, code_verifier=verifier
                )
        except OAuthError as refused:
            if refused.error == "invalid_grant":
                raise AuthError(
                    "This sign-in expired or was already used: start again.",
                    code="invalid_grant",
                ) from None
            raise TelegramTransient(
                "Telegram Login refused the site's token request ({error})",
                method="token",
                code="issuer_error",
                values={"error": refused.error},
            ) from None
        return token

    async def _verify(self, token: Mapping[str, Any], nonce: str) -> Mapping[str, Any]:
        if not isinstance(token.get("id_token"), str):
            raise TelegramTransient(
                "Telegram Login sent no ID token", method="token", code="issuer_error"
            )
        options = {
            "iss": {"essential": True, "value": self.config.issuer},
            "aud": {"essential": True, "value": self.config.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        }
        try:
            with _talking_to_issuer("jwks"):
                claims: Mapping[str, Any] = await self.app.parse_id_token(
                    dict(token), nonce, claims_options=options, leeway=LEEWAY
                )
        except (InvalidKeyIdError, BadSignatureError, UnsupportedAlgorithmError):
            raise AuthError(
                "The ID token's signature does not verify with Telegram's keys.",
                code="bad_signature",
            ) from None
        except ExpiredTokenError:
            raise AuthError("The ID token has expired: start again.", code="expired") from None
        except ClaimError as bad:
            code = _CLAIM_CODES.get(bad.claim, "invalid_token")
            raise AuthError(
                "The ID token failed a check ({claim}).", code=code, values={"claim": bad.claim}
            ) from None
        except JoseError as bad:
            raise AuthError(
                "The ID token is malformed ({error}).",
                code="malformed",
                values={"error": bad.error},
            ) from None
        return claims


def _unverified_nonce(id_token: str) -> str:
    """The ``nonce`` claim, read before the signature is checked only to find which pending
    nonce the token answers; ``_verify`` then checks the token against it."""
    try:
        payload = json.loads(extract_compact(id_token.encode("ascii")).payload)
    except (JoseError, UnicodeError, ValueError):
        raise AuthError("The ID token is malformed.", code="malformed") from None
    nonce = payload.get("nonce") if isinstance(payload, dict) else None
    if not isinstance(nonce, str) or not nonce or len(nonce) > 512:
        raise AuthError(
            "The ID token carries no nonce of this site: sign in again.", code="nonce_mismatch"
        )
    return nonce


def _callback_query(params: Sequence[tuple[str, str]]) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in params:
        if name in query and name in {"state", "code", "error", "iss"}:
            raise AuthError(
                "{name} came back more than once: start again.",
                code="bad_state",
                values={"name": name},
            )
        query[name] = value
    return query


def _granted(token: Mapping[str, Any], asked: tuple[str, ...]) -> frozenset[str]:
    """The scopes granted: the token response says, or they are those asked (RFC 6749 §5.1)."""
    scope = token.get("scope")
    return frozenset(scope.split() if isinstance(scope, str) else asked)


def _storable_phone(phone: str) -> bool:
    return len(phone) <= PHONE_SIZE and phone.isprintable()


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def identity_of(claims: Mapping[str, Any], *, granted: frozenset[str]) -> TelegramIdentity:
    """The verified claims as a Telegram user: ``id`` (the Telegram id, which ``sub`` is not),
    ``name``, ``preferred_username``, ``picture``; ``phone_number`` when Telegram says it
    verified it; the bot's access when ``telegram:bot_access`` was granted."""
    telegram_id = claims.get("id")
    if isinstance(telegram_id, bool) or not isinstance(telegram_id, int):
        raise InvalidAuthData(
            "missing_field", "the ID token has no Telegram id (scope profile)", field="id"
        )
    phone = _text(claims, "phone_number")
    verified = claims.get("phone_number_verified") is True
    profile = TelegramProfile(
        telegram_id=telegram_id,
        first_name=_text(claims, "name") or "",
        username=_text(claims, "preferred_username"),
        photo_url=_text(claims, "picture"),
    )
    return TelegramIdentity(
        profile=profile,
        subject=str(claims.get("sub", "")),
        phone_number=phone if verified and phone and _storable_phone(phone) else None,
        bot_access="telegram:bot_access" in granted,
    )
