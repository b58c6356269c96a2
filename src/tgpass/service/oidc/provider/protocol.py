"""The OpenID provider's protocol engine: Authlib's framework-agnostic server parts, adapted.

Which parts, and why:

- ``authlib.oauth2.rfc6749.AuthorizationServer`` with ``AuthorizationCodeGrant`` and
  ``RefreshTokenGrant``: the request validation of RFC 6749 (client authentication by
  ``client_secret_basic``, ``client_secret_post`` or ``none``, exact redirect URIs, repeated
  parameters, error responses and where they may be redirected) is the part most often got
  wrong by hand; Authlib's is tested against the RFC.
- ``authlib.oauth2.rfc7636.CodeChallenge``: PKCE, narrowed here to S256 and required of
  public clients.
- ``authlib.oidc.core.OpenIDCode``: nonce replay, ``prompt`` (none, login, consent) and the ID
  token in the token response (``at_hash``, ``nonce``, ``auth_time``). Its ``encode_id_token``
  is replaced by one that reads the signing key once, so that the ``kid`` in the header and
  the key that signs agree while keys rotate.
- ``authlib.oauth2.rfc7009.RevocationEndpoint`` and ``authlib.oidc.rpinitiated``'s
  ``EndSessionEndpoint``: revocation, and RP-initiated logout with ``id_token_hint`` checked
  against the published keys and ``post_logout_redirect_uri`` matched exactly.
- ``authlib.oauth2.rfc6750.BearerTokenGenerator``: opaque random tokens; only their SHA-256 is
  kept.

Authlib ships server integrations for Flask and Django only. This is the small adapter for
an asyncio service, framework-free (the Starlette side is ``tgpass.web.oidc_provider``): a
``ProtocolRequest`` (method, URL, query, form, headers) becomes an ``OAuth2Request``;
``handle_response`` gives back a ``ProtocolResponse``. Authlib's server is synchronous and the
stores are not: each protocol call runs in a worker thread (``anyio.to_thread``), and the
hooks Authlib calls there (``query_client``, ``save_token``, ...) hand the store calls back to
the event loop (``anyio.from_thread``). Nothing blocks the loop, and the rules stay Authlib's.

Single use (RFC 6749 §4.1.2, RFC 9700 §4.14): a code or a refresh token is marked used by
one conditional update just before tokens are made for it. A code or a rotated refresh token
that comes back revokes its whole grant: every token made from it, and every token refreshed
from those.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import anyio.from_thread
import anyio.to_thread
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    AuthorizationCodeGrant,
    AuthorizationServer,
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    RefreshTokenGrant,
    TokenMixin,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator  # type: ignore[import-untyped]
from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core import (  # type: ignore[import-untyped]
    AuthorizationCodeMixin,
    OpenIDCode,
)
from authlib.oidc.core.errors import (  # type: ignore[import-untyped]
    ConsentRequiredError,
    LoginRequiredError,
)
from authlib.oidc.core.util import create_half_hash  # type: ignore[import-untyped]
from authlib.oidc.rpinitiated import EndSessionEndpoint  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.jwk import KeySet

from tgpass.domain.accounts import User
from tgpass.service.oidc.provider.keys import SIGNING_ALGORITHMS, KeyRing
from tgpass.service.oidc.provider.store import (
    AuthorizationCode,
    IssuedToken,
    Lifetimes,
    OidcClient,
    OidcStore,
    secret_hash,
)
from tgpass.service.ports import AccountStore

log = logging.getLogger("tgpass.oidc_provider")
T = TypeVar("T")
Pairs = tuple[tuple[str, str], ...]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
MAX_NONCE = 255
TOKEN_LENGTH = 43  # of 62 symbols: 256 bits of randomness in every code and token


# -- the framework-free request and response -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProtocolRequest:
    """An HTTP request as the protocol sees it. ``url`` is the URL the client addressed (the
    issuer's origin, not whatever the proxy in front says)."""

    method: str
    url: str
    query: Pairs = ()
    form: Pairs = ()
    headers: Pairs = ()

    def pairs(self) -> Pairs:
        """The protocol parameters: the query of a GET, the form of a POST."""
        return self.query if self.method in {"GET", "HEAD"} else self.form


@dataclass(frozen=True, slots=True)
class ProtocolResponse:
    status: int
    body: Mapping[str, Any] | str
    headers: Pairs = ()


@dataclass(frozen=True, slots=True)
class Failure:
    """An OAuth error: sent back to the client at ``redirect`` when its redirect URI was
    trusted, else shown to the user (never redirected to an unchecked URI)."""

    error: str
    description: str
    redirect: str | None = None
    status: int = 400


# Parameters Authlib may quote in an error description, which must be printable ASCII other
# than a double quote and a backslash (RFC 6749 §5.2): any other value is refused first.
_QUOTED = frozenset(
    {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "grant_type",
        "prompt",
        "code_challenge_method",
        "token_type_hint",
        "post_logout_redirect_uri",
    }
)


def _quotable(text: str) -> bool:
    return all(c in " !" or "#" <= c <= "[" or "]" <= c <= "~" for c in text)


def _unfit(request: ProtocolRequest) -> str | None:
    """Why the request's parameters cannot be read as OAuth parameters, if they cannot."""
    for key, value in request.pairs():
        if key in _QUOTED and not _quotable(value):
            return f"{key} holds characters OAuth parameters do not"
    return None


def _failure(error: Any) -> Failure:
    status, _, headers = error()
    location = next((v for k, v in headers if k == "Location"), None)
    return Failure(str(error.error), str(error.description or ""), location, int(status))


class _Headers(dict[str, str]):
    """Case-insensitive, as Authlib expects (``headers.get("Authorization")``)."""

    def __init__(self, pairs: Pairs) -> None:
        super().__init__((k.lower(), v) for k, v in pairs)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Pairs) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: ProtocolRequest) -> None:
        super().__init__(request.method, request.url, headers=_Headers(request.headers))
        self.payload = _Payload(request.pairs())
        self._args = dict(request.query)
        self._form = dict(request.form)
        self.auth_time: float | None = None
        self.confirmed = False

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# -- Authlib's models over the stored records ------------------------------------------------


class _Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, record: OidcClient) -> None:
        self.record = record
        self.client_id = record.client_id
        self.id_token_signed_response_alg = record.id_token_alg
        self.client_metadata = {
            "post_logout_redirect_uris": list(record.post_logout_redirect_uris),
            "token_endpoint_auth_method": "none" if record.public else "client_secret_basic",
        }

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect: the request names its redirect URI, always

    def get_allowed_scope(self, scope: str | None) -> str:
        # Scopes not understood, or not the client's, are left out (OIDC Core §3.1.2.1).
        wanted = (scope or "").split()
        return " ".join(dict.fromkeys(s for s in wanted if s in self.record.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.record.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.record.secret_hash
        return stored is not None and hmac.compare_digest(secret_hash(client_secret), stored)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.record.public:
            return bool(method == "none")
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in {"authorization_code", "refresh_token"}


class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, record: AuthorizationCode) -> None:
        self.record = record
        self.code_challenge = record.code_challenge
        self.code_challenge_method = record.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.record.redirect_uri

    def get_scope(self) -> str:
        return self.record.scope

    def get_nonce(self) -> str | None:
        return self.record.nonce

    def get_auth_time(self) -> int:
        return int(self.record.auth_time)


class _Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, record: IssuedToken, now: float) -> None:
        self.record = record
        self._now = now

    def check_client(self, client: Any) -> bool:
        return bool(client.get_client_id() == self.record.client_id)

    def get_scope(self) -> str:
        return self.record.scope

    def get_expires_in(self) -> int:
        return int(self.record.expires_at - self.record.issued_at)

    def is_expired(self) -> bool:
        return self.record.expires_at <= self._now

    def is_revoked(self) -> bool:
        return self.record.revoked_at is not None


# -- what the Authlib parts ask of the provider ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Backend:
    """The provider's stores and rules, as Authlib's hooks reach them (from a worker thread:
    ``wait`` runs a coroutine on the event loop and returns its result)."""

    store: OidcStore
    accounts: AccountStore
    keys: KeyRing
    issuer: str
    lifetimes: Lifetimes
    clock: Callable[[], float]
    claims: Callable[[User, str], Coroutine[Any, Any, dict[str, Any]]]

    @staticmethod
    def wait(function: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        return anyio.from_thread.run(function, *args)

    def client(self, client_id: str | None) -> _Client | None:
        if not client_id or len(client_id) > 64:
            return None
        record = self.wait(self.store.get_client, client_id)
        return None if record is None else _Client(record)

    def user(self, user_id: int) -> User | None:
        return self.wait(self.accounts.get_user, user_id)

    def revoke_grant(self, grant_id: str, why: str) -> None:
        log.warning("grant revoked: %s", why)
        self.wait(functools.partial(self.store.revoke_grant, grant_id, now=self.clock()))


def _backend(grant_or_endpoint: Any) -> Backend:
    backend: Backend = grant_or_endpoint.server.backend
    return backend


class _Pkce(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only (RFC 9700 §2.1.1), required of public clients."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        super().validate_code_challenge(grant, redirect_uri)
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if challenge and method != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        if not challenge and grant.request.client.record.public:
            raise InvalidRequestError("a public client must use PKCE (S256)")


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    def exists_nonce(self, nonce: str, request: Any) -> bool:
        backend: Backend = request.backend
        return backend.wait(backend.store.nonce_seen, request.payload.client_id, nonce)

    def generate_user_info(self, user: User, scope: str) -> dict[str, Any]:
        raise NotImplementedError  # encode_id_token reaches the claims itself

    def encode_id_token(self, token: dict[str, Any], request: Any) -> str:
        backend: Backend = request.backend
        client: _Client = request.client
        alg = client.record.id_token_alg
        kid, key = backend.wait(backend.keys.signer, alg)
        now = int(backend.clock())
        claims: dict[str, Any] = {
            "iss": backend.issuer,
            "aud": client.record.client_id,
            "iat": now,
            "exp": now + backend.lifetimes.id_token,
        }
        claims.update(self.get_authorization_code_claims(request.authorization_code))
        claims["at_hash"] = create_half_hash(token["access_token"], alg).decode()
        claims.update(backend.wait(backend.claims, request.user, token["scope"]))
        return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key, [alg])


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    AUTHORIZATION_CODE_LENGTH = TOKEN_LENGTH

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        nonce = self.request.payload.data.get("nonce")
        if nonce is not None and not 1 <= len(nonce) <= MAX_NONCE:
            raise InvalidRequestError(
                f"nonce is 1-{MAX_NONCE} characters", redirect_uri=redirect_uri
            )
        return redirect_uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        backend = _backend(self)
        now = backend.clock()
        data = request.payload.data
        record = AuthorizationCode(
            code_hash=secret_hash(code),
            grant_id=secrets.token_hex(16),
            client_id=request.client.record.client_id,
            user_id=request.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=request.auth_time if request.auth_time is not None else now,
            expires_at=now + backend.lifetimes.code,
        )
        backend.wait(functools.partial(backend.store.add_code, record, now=now))

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        backend = _backend(self)
        record = backend.wait(backend.store.get_code, secret_hash(code))
        if record is None or record.client_id != client.record.client_id:
            return None
        if record.revoked_at is not None:  # its grant was revoked (signed out everywhere)
            return None
        if record.used_at is not None:
            backend.revoke_grant(record.grant_id, "an authorization code was presented again")
            return None
        if record.expires_at <= backend.clock():
            return None
        return _Code(record)

    def create_token_response(self) -> Any:
        backend = _backend(self)
        record: AuthorizationCode = self.request.authorization_code.record
        used = functools.partial(
            backend.store.use_code,
            record.code_hash,
            client_id=record.client_id,
            now=backend.clock(),
        )
        if not backend.wait(used):
            backend.revoke_grant(record.grant_id, "an authorization code was redeemed twice")
            raise InvalidGrantError("Invalid 'code' in request.")
        return super().create_token_response()

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        """Kept, marked used, until purged: a replay must be recognised to be answered."""

    def authenticate_user(self, authorization_code: _Code) -> User | None:
        return _backend(self).user(authorization_code.record.user_id)


class _RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh token is used once

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        backend = _backend(self)
        record = backend.wait(backend.store.get_token, secret_hash(refresh_token))
        if record is None or record.kind != "refresh":
            return None
        if record.client_id != self.request.client.record.client_id:
            return None
        if record.used_at is not None and record.revoked_at is None:
            backend.revoke_grant(record.grant_id, "a rotated refresh token was presented again")
            return None
        now = backend.clock()
        return _Token(record, now) if record.live(now) else None

    def create_token_response(self) -> Any:
        backend = _backend(self)
        record: IssuedToken = self.request.refresh_token.record
        used = functools.partial(
            backend.store.use_refresh,
            record.token_hash,
            client_id=record.client_id,
            now=backend.clock(),
        )
        if not backend.wait(used):
            backend.revoke_grant(record.grant_id, "a refresh token was redeemed twice")
            raise InvalidGrantError()
        return super().create_token_response()

    def authenticate_user(self, refresh_token: _Token) -> User | None:
        return _backend(self).user(refresh_token.record.user_id)

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        """Already marked used, before the new tokens were made."""


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        backend = _backend(self)
        record = backend.wait(backend.store.get_token, secret_hash(token_string))
        return None if record is None else _Token(record, backend.clock())

    def revoke_token(self, token: _Token, request: Any) -> None:
        backend = _backend(self)
        record = token.record
        if record.kind == "refresh":  # RFC 7009 §2.1: and the access tokens of its grant
            revoke = functools.partial(backend.store.revoke_grant, record.grant_id)
        else:
            revoke = functools.partial(backend.store.revoke_token, record.token_hash)
        backend.wait(functools.partial(revoke, now=backend.clock()))


class _EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def get_server_jwks(self) -> KeySet:
        backend = _backend(self)
        return KeySet(backend.wait(backend.keys.verification_keys))

    def get_algorithms(self) -> list[str]:
        return list(SIGNING_ALGORITHMS)

    def end_session(self, end_session_request: Any) -> None:
        """The web layer ends the site's session: this endpoint only checks the request."""

    def is_post_logout_redirect_uri_legitimate(
        self, request: Any, post_logout_redirect_uri: str, client: Any, logout_hint: Any
    ) -> bool:
        # Without an ID token, redirect only after the user said yes on the site's own page.
        return bool(request.confirmed)


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, backend: Backend) -> None:
        super().__init__(scopes_supported=None)
        self.backend = backend
        lifetimes = backend.lifetimes
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                lambda *args, **kwargs: generate_token(TOKEN_LENGTH),
                lambda *args, **kwargs: generate_token(TOKEN_LENGTH),
                lambda client, grant_type: lifetimes.access_token,
            ),
        )
        self.register_grant(_CodeGrant, [_Pkce(required=True), _OpenIDCode(require_nonce=False)])
        self.register_grant(_RefreshGrant)
        self.register_endpoint(_Revocation)
        self.register_endpoint(_EndSession)

    def query_client(self, client_id: str | None) -> _Client | None:
        return self.backend.client(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        backend = self.backend
        now = backend.clock()
        source = request.authorization_code or request.refresh_token
        grant_id: str = source.record.grant_id
        common = {
            "grant_id": grant_id,
            "client_id": request.client.record.client_id,
            "user_id": request.user.id,
            "scope": token.get("scope", ""),
            "issued_at": now,
        }
        tokens = [
            IssuedToken(
                token_hash=secret_hash(token["access_token"]),
                kind="access",
                expires_at=now + int(token["expires_in"]),
                **common,
            )
        ]
        if "refresh_token" in token:
            tokens.append(
                IssuedToken(
                    token_hash=secret_hash(token["refresh_token"]),
                    kind="refresh",
                    expires_at=now + backend.lifetimes.refresh_token,
                    **common,
                )
            )
        backend.wait(backend.store.add_tokens, tokens)

    def validate_requested_scope(self, scope: str | None) -> None:
        """Unknown scopes are ignored, not refused: the client's allowed scopes filter them."""

    def create_oauth2_request(self, request: Any) -> Any:
        if isinstance(request, OAuth2Request):
            request.backend = self.backend
            return request
        raise TypeError("give the server an OAuth2Request")

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON endpoints")

    def handle_response(
        self, status: int, body: Any, headers: Sequence[tuple[str, str]]
    ) -> ProtocolResponse:
        return ProtocolResponse(int(status), body, tuple(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals."""


# -- the protocol, as the provider calls it --------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckedAuthorization:
    """A valid authorization request, waiting for the user's sign-in or consent."""

    client: OidcClient
    scopes: tuple[str, ...]
    prompts: frozenset[str]
    max_age: int | None
    redirect_uri: str
    state: str | None
    _request: Any
    _grant: Any


@dataclass(frozen=True, slots=True)
class CheckedLogout:
    client: OidcClient | None
    redirect: str | None
    hint: Mapping[str, Any] | None


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(functools.partial(function, *args))


class Protocol:
    """OAuth 2.0 and OpenID Connect as Authlib does them, over the provider's backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._server = _Server(backend)

    async def check_authorization(
        self, request: ProtocolRequest, user: User | None
    ) -> CheckedAuthorization | Failure:
        unfit = _unfit(request)
        if unfit is not None:
            return Failure("invalid_request", unfit)
        try:
            oauth = _Request(request)
            grant = await _in_thread(self._server.get_consent_grant, oauth, user)
        except OAuth2Error as error:
            return _failure(error)
        data = oauth.payload.data
        max_age: int | None = None
        if "max_age" in data:
            text = data["max_age"]
            if not (text.isascii() and text.isdigit() and len(text) <= 10):
                return _failure(
                    InvalidRequestError(
                        "max_age is a number of seconds",
                        redirect_uri=grant.redirect_uri,
                        state=data.get("state"),
                    )
                )
            max_age = int(text)
        return CheckedAuthorization(
            client=oauth.client.record,
            scopes=tuple(oauth.scope.split()) if oauth.scope else (),
            prompts=frozenset(data.get("prompt", "").split()),
            max_age=max_age,
            redirect_uri=grant.redirect_uri,
            state=data.get("state"),
            _request=oauth,
            _grant=grant,
        )

    @staticmethod
    def _request(request: ProtocolRequest) -> _Request:
        unfit = _unfit(request)
        if unfit is not None:
            raise InvalidRequestError(unfit)
        return _Request(request)

    def refuse(self, checked: CheckedAuthorization, error: str) -> Failure:
        """Send ``login_required`` or ``consent_required`` back to the client."""
        kind = LoginRequiredError if error == "login_required" else ConsentRequiredError
        return _failure(kind(redirect_uri=checked.redirect_uri, state=checked.state))

    async def authorize(
        self, checked: CheckedAuthorization, user: User | None, *, auth_time: float
    ) -> Failure | str:
        """The redirect with a code (``user`` given), or with ``access_denied`` (None)."""
        oauth = checked._request
        oauth.auth_time = auth_time
        response: ProtocolResponse = await _in_thread(
            self._server.create_authorization_response, oauth, user, checked._grant
        )
        location = next((v for k, v in response.headers if k == "Location"), None)
        if response.status == 302 and location is not None:
            return location
        body = response.body if isinstance(response.body, Mapping) else {}
        return Failure(str(body.get("error", "server_error")), "", None, response.status)

    async def token(self, request: ProtocolRequest) -> ProtocolResponse:
        try:
            oauth = self._request(request)
        except OAuth2Error as error:  # not over https (or to a loopback address)
            return self._server.handle_error_response(None, error)  # type: ignore[no-any-return]
        return await _in_thread(self._server.create_token_response, oauth)

    async def revoke(self, request: ProtocolRequest) -> ProtocolResponse:
        try:
            oauth = self._request(request)
        except OAuth2Error as error:
            return self._server.handle_error_response(None, error)  # type: ignore[no-any-return]
        return await _in_thread(self._server.create_endpoint_response, "revocation", oauth)

    async def check_logout(
        self, request: ProtocolRequest, *, confirmed: bool
    ) -> CheckedLogout | Failure:
        try:
            oauth = self._request(request)
            oauth.confirmed = confirmed
            found = await _in_thread(self._server.validate_endpoint_request, "end_session", oauth)
        except OAuth2Error as error:
            return Failure(str(error.error), str(error.description or ""))
        hint = found.id_token_claims
        if hint is not None and hint.get("iss") != self.backend.issuer:
            return Failure("invalid_request", "the ID token was not issued here")
        client = found.client.record if found.client is not None else None
        return CheckedLogout(client, found.redirect_uri, hint)
