"""Telegram Login over OpenID Connect, as ``oauth.telegram.org`` serves it
(core.telegram.org/bots/telegram-login), for the sandbox's bots and users.

The Authorization Code flow with PKCE (S256 only). A site sends the browser to ``/auth``
with its bot's id as ``client_id``, one of the bot's allowed redirect URLs, ``scope`` (with
``openid``; ``profile``, ``phone`` and ``telegram:bot_access`` as it needs), ``state``,
``nonce`` and ``code_challenge``. The simulated user approves or declines on the phone (tests
do it through the control API). The site trades the code at ``/token``, authenticated with
the bot's client secret (HTTP Basic or in the form), for an ID token signed with the key of
the bot's algorithm. There is no userinfo endpoint: the claims are in the ID token.

Claims: ``iss``, ``aud`` (the client id), ``sub`` (stable for one user and one bot, not the
Telegram id), ``iat``, ``exp``, ``nonce``; with ``profile``: ``id`` (the Telegram user id),
``name``, ``preferred_username``, ``picture``; with ``phone``, if the user shares it:
``phone_number`` and ``phone_number_verified``. ``telegram:bot_access``, if the user allows
it, lets the bot message the user first.

Errors follow RFC 6749: a bad ``client_id`` or ``redirect_uri`` is answered on a page of our
own, never by a redirect; the rest redirect back with ``error`` and ``state``; the token
endpoint answers ``{"error", "error_description"}``.

Telegram's JS library (``telegram-login.js``) asks the same endpoint with
``response_type=post_message``: no ``state``, no PKCE, ``redirect_uri`` the page's own URL
(its origin and path) and the ``nonce`` the page was given by its server. The user answers on
the same phone; the popup then ends on a page of the provider (``RESULT_PATH``) that hands the
page that opened it ``{"event": "auth_result", "result": <ID token>}`` (or ``"error"``) by
``postMessage``, to the page's origin only, once. The ID token is the one the token endpoint
would give. Which pages may ask: Telegram says to register the site's origins beside its
redirect URLs; here a page may ask when its origin is the origin of one of the bot's allowed
URLs (a site that registered its callback has registered its origin).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from .errors import Invalid, NotFound
from .oidc_keys import TELEGRAM_ALGORITHMS, KeyRing, check_algorithm
from .world import Bot, World

Json = dict[str, Any]
Params = Mapping[str, Sequence[str]]

SCOPES = ("openid", "profile", "phone", "telegram:bot_access")
CLAIMS = (
    "iss",
    "aud",
    "sub",
    "iat",
    "exp",
    "nonce",
    "id",
    "name",
    "preferred_username",
    "picture",
    "phone_number",
    "phone_number_verified",
)
POST_MESSAGE = "post_message"
"""The response type of Telegram's JS library: the ID token handed to the page by the popup."""
RESULT_PATH = "/oauth/auth/result"
"""Where a popup login ends (a path of the sandbox, under the issuer's ``/oauth``)."""
REQUEST_TTL = 600  # seconds a login request waits for the user
CODE_TTL = 300  # seconds an authorization code may be traded
ID_TOKEN_TTL = 3600
ACCESS_TOKEN_TTL = 3600

_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_CLIENT_ID = re.compile(r"[1-9][0-9]{0,19}")


class LoginPageError(Invalid):
    """Refused on Telegram's own page, never by a redirect: an unknown client or a redirect
    URL the bot did not allow (RFC 6749 §4.1.2.1). On the sandbox's HTTP API, a 400."""


class AuthorizeError(Exception):
    """Refused by sending the browser back to the site with ``error`` and ``state``, or, for a
    popup, to the page that hands the error to the site's page (``result_url``)."""

    def __init__(
        self,
        error: str,
        description: str,
        redirect_uri: str,
        state: str | None,
        *,
        result_url: str | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state
        self.result_url = result_url

    @property
    def location(self) -> str:
        if self.result_url is not None:
            return self.result_url
        return redirect_to(
            self.redirect_uri,
            {"error": self.error, "error_description": self.description, "state": self.state},
        )


class TokenError(Exception):
    """An error of the token endpoint (RFC 6749 §5.2); ``invalid_client`` is a 401."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = 401 if error == "invalid_client" else 400

    def body(self) -> Json:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class LoginRequest:
    """A valid authorization request, waiting for the user's answer."""

    id: str
    bot_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str  # empty for a popup: the page's origin binds it instead
    expires_at: float
    response_type: str = "code"


@dataclass(frozen=True)
class Grant:
    """What an authorization code stands for."""

    bot_id: int
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str
    expires_at: float


@dataclass(frozen=True)
class PopupAnswer:
    """What a popup login hands the page that opened it, once: the user's grant (its ID token
    signed when the popup shows it, by the issuer it was reached at) or an error."""

    origin: str
    """The page's origin: the only one the message may reach."""
    grant: Grant | None
    error: str | None
    expires_at: float


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def redirect_to(uri: str, params: Mapping[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query (its own query is kept, RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    added = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))


def check_redirect_uris(uris: Iterable[str]) -> list[str]:
    """Allowed redirect URLs: absolute http(s) URLs without a fragment, each once."""
    checked: list[str] = []
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise Invalid(f"A redirect URL is an absolute http(s) URL: {uri!r}", url=uri)
        if parts.fragment or uri.endswith("#"):
            raise Invalid(f"A redirect URL has no fragment (#...): {uri!r}", url=uri)
        if uri not in checked:
            checked.append(uri)
    return checked


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _page_origin(page: str) -> str:
    origin = origin_of(page)
    assert origin is not None, "a popup's page was checked when its request began"
    return origin


def _duplicates(params: Params) -> list[str]:
    return sorted(name for name, values in params.items() if len(values) > 1)


def _first(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


class SandboxOidcProvider:
    """The sandbox's ``oauth.telegram.org``: login requests, codes, tokens, over one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.keys = KeyRing(world)
        self.requests: dict[str, LoginRequest] = {}
        self.codes: dict[str, Grant] = {}
        self.redeemed: dict[str, float] = {}  # used codes, until they would have expired
        self.answers: dict[str, PopupAnswer] = {}  # popup logins answered, not yet shown

    # -- the bot's settings (BotFather's Web Login) ----------------------------------------

    @staticmethod
    def client(bot: Bot) -> Json:
        return {
            "client_id": str(bot.id),
            "client_secret": bot.oidc_client_secret,
            "redirect_uris": list(bot.oidc_redirect_uris),
            "algorithm": bot.oidc_algorithm,
        }

    def configure(
        self, bot: Bot, *, redirect_uris: Iterable[str] | None = None, algorithm: str | None = None
    ) -> Json:
        """Replace what is given: the allowed redirect URLs, the ID token algorithm."""
        uris = check_redirect_uris(redirect_uris) if redirect_uris is not None else None
        if algorithm is not None:
            bot.oidc_algorithm = check_algorithm(algorithm)
        if uris is not None:
            bot.oidc_redirect_uris = uris
        return self.client(bot)

    @staticmethod
    def discovery(issuer: str) -> Json:
        """The OpenID Provider Metadata served at ``<issuer>/.well-known/openid-configuration``."""
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/auth",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": list(TELEGRAM_ALGORITHMS),
            "scopes_supported": list(SCOPES),
            "claims_supported": list(CLAIMS),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }

    def subject(self, bot_id: int, user_id: int) -> str:
        """The ``sub`` of ``user_id`` for ``bot_id``: stable, different for every bot, and
        not the Telegram id (which is the ``id`` claim)."""
        digest = hmac.new(
            bytes.fromhex(self.world.oidc_subject_key), f"{bot_id}:{user_id}".encode(), "sha256"
        ).digest()
        return str(int.from_bytes(digest[:8], "big") >> 1)

    # -- the authorization endpoint --------------------------------------------------------

    def _forget_old(self) -> None:
        now = self.world.clock()
        for request_id in [k for k, r in self.requests.items() if r.expires_at <= now]:
            del self.requests[request_id]
        # expired codes are kept a while to say so; then forgotten
        keep = now - REQUEST_TTL
        for code in [c for c, g in self.codes.items() if g.expires_at <= keep]:
            del self.codes[code]
        for code in [c for c, until in self.redeemed.items() if until <= keep]:
            del self.redeemed[code]
        for handle in [h for h, a in self.answers.items() if a.expires_at <= now]:
            del self.answers[handle]

    def begin(self, params: Params) -> LoginRequest:
        """Check an authorization request; a valid one waits for the user's answer."""
        self._forget_old()
        duplicated = _duplicates(params)
        for name in ("client_id", "redirect_uri"):
            if name in duplicated:
                raise LoginPageError(f"{name} is given more than once", parameter=name)
        client_id = _first(params, "client_id")
        redirect_uri = _first(params, "redirect_uri")
        if not client_id:
            raise LoginPageError("client_id is missing: it is the bot's id")
        bot = self._bot(client_id)
        if bot is None:
            raise LoginPageError(f"no bot has the client_id {client_id!r}", client_id=client_id)
        if not redirect_uri:
            raise LoginPageError("redirect_uri is missing")
        popup = _first(params, "response_type") == POST_MESSAGE and "response_type" not in (
            duplicated
        )
        if popup:
            self._check_page(bot, redirect_uri)
        elif redirect_uri not in bot.oidc_redirect_uris:
            raise LoginPageError(
                f"redirect_uri {redirect_uri!r} is not one of @{bot.username}'s allowed URLs "
                "(set them with PUT /sandbox/api/bots/{bot_id}/oidc)",
                redirect_uri=redirect_uri,
                bot=bot.username,
            )
        state = _first(params, "state")

        def refuse(error: str, description: str) -> AuthorizeError:
            if popup:  # the popup hands the error to the page, as it would the ID token
                handle = self._keep(PopupAnswer(_page_origin(redirect_uri), None, error, 0.0))
                return AuthorizeError(error, description, redirect_uri, None, result_url=handle)
            return AuthorizeError(error, description, redirect_uri, state)

        if duplicated:
            raise refuse("invalid_request", f"given more than once: {', '.join(duplicated)}")
        for name, error in (
            ("request", "request_not_supported"),
            ("request_uri", "request_uri_not_supported"),
        ):
            if name in params:
                raise refuse(error, f"the {name} parameter is not supported")
        response_type = _first(params, "response_type")
        if not response_type:
            raise refuse("invalid_request", "response_type is missing")
        if response_type not in {"code", POST_MESSAGE}:
            raise refuse("unsupported_response_type", "only response_type=code is supported")
        if _first(params, "response_mode") not in {None, "query"} or (
            popup and "response_mode" in params
        ):
            raise refuse("invalid_request", "only response_mode=query is supported")
        asked = (_first(params, "scope") or "").split()
        if "openid" not in asked:
            raise refuse("invalid_scope", "scope must include openid")
        challenge = "" if popup else self._challenge(params, refuse)
        if "none" in (_first(params, "prompt") or "").split():
            raise refuse("login_required", "the user must confirm the login in Telegram")
        request = LoginRequest(
            id=secrets.token_urlsafe(16),
            bot_id=bot.id,
            redirect_uri=redirect_uri,
            scopes=tuple(s for s in SCOPES if s in asked),  # others are ignored (OIDC §3.1.2.1)
            state=None if popup else state,
            nonce=_first(params, "nonce"),
            code_challenge=challenge,
            expires_at=self.world.clock() + REQUEST_TTL,
            response_type=response_type,
        )
        self.requests[request.id] = request
        return request

    @staticmethod
    def _challenge(params: Params, refuse: Callable[[str, str], AuthorizeError]) -> str:
        """PKCE, S256 only: the code flow needs it."""
        challenge = _first(params, "code_challenge")
        if not challenge:
            raise refuse("invalid_request", "code_challenge is required (PKCE with S256)")
        if _first(params, "code_challenge_method") != "S256":
            raise refuse("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.fullmatch(challenge):
            raise refuse("invalid_request", "code_challenge is not a base64url SHA-256 digest")
        return challenge

    @staticmethod
    def _check_page(bot: Bot, page: str) -> None:
        """A popup login's page: an http(s) URL on the origin of one of the bot's allowed URLs
        (the library sends the page's origin and path)."""
        origin = origin_of(page)
        allowed = {origin_of(uri) for uri in bot.oidc_redirect_uris}
        if origin is None or origin not in allowed or urlsplit(page).fragment:
            raise LoginPageError(
                f"the page {page!r} is not on an origin of @{bot.username}'s allowed URLs "
                "(set them with PUT /sandbox/api/bots/{bot_id}/oidc)",
                redirect_uri=page,
                bot=bot.username,
            )

    def _keep(self, answer: PopupAnswer) -> str:
        """Keep a popup's answer until it is shown: the path of the page that shows it."""
        handle = secrets.token_urlsafe(24)
        expires_at = self.world.clock() + CODE_TTL
        self.answers[handle] = PopupAnswer(answer.origin, answer.grant, answer.error, expires_at)
        return f"{RESULT_PATH}?{urlencode({'answer': handle})}"

    def popup_result(self, handle: str, issuer: str) -> tuple[str, Json]:
        """A popup login's answer, once: the page origin it may reach and the message,
        ``{"event": "auth_result", "result": <ID token>}`` or ``{..., "error": <error>}``."""
        self._forget_old()
        answer = self.answers.pop(handle, None)
        if answer is None:
            raise NotFound("This sign-in was already answered or has expired.", answer=handle)
        if answer.grant is None:
            return answer.origin, {"event": "auth_result", "error": answer.error}
        bot = self.world.bots[answer.grant.bot_id]
        token = self.keys.sign(self.claims(bot, answer.grant, issuer), bot.oidc_algorithm)
        return answer.origin, {"event": "auth_result", "result": token}

    def _bot(self, client_id: str) -> Bot | None:
        if not _CLIENT_ID.fullmatch(client_id):
            return None
        return self.world.bots.get(int(client_id))

    def pending(self, request_id: str) -> LoginRequest:
        self._forget_old()
        request = self.requests.get(request_id)
        if request is None:
            gone = "This sign-in request has expired or was already answered."
            raise NotFound(gone, request_id=request_id)
        return request

    def describe(self, request: LoginRequest) -> Json:
        """What the phone shows: who asks, for which site, for what."""
        parts = urlsplit(request.redirect_uri)
        return {
            "request_id": request.id,
            "bot": self.world.bots[request.bot_id].as_user(),
            "client_id": str(request.bot_id),
            "redirect_uri": request.redirect_uri,
            "origin": f"{parts.scheme}://{parts.netloc}",
            "scopes": list(request.scopes),
            "expires_at": request.expires_at,
        }

    def approve(
        self, user_id: int, request_id: str, *, share_phone_number: bool, write_allowed: bool
    ) -> str:
        """The user logs in: the URL the browser goes back to, with ``code`` and ``state``
        (for a popup: the path of the page that hands the ID token to the site's page). The
        phone number goes only if asked for and shared; the bot may write first only if
        ``telegram:bot_access`` was asked for and allowed."""
        request = self.pending(request_id)
        account = self.world.account(user_id)
        share = share_phone_number and "phone" in request.scopes
        if share and account.phone_number is None:
            raise Invalid("This account has no phone number to share.", user_id=user_id)
        del self.requests[request.id]
        granted = tuple(
            s
            for s in request.scopes
            if (s != "phone" or share) and (s != "telegram:bot_access" or write_allowed)
        )
        if "telegram:bot_access" in granted:
            self.world.dialog(request.bot_id, user_id).write_allowed = True
        grant = Grant(
            bot_id=request.bot_id,
            user_id=user_id,
            redirect_uri=request.redirect_uri,
            scopes=granted,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            expires_at=self.world.clock() + CODE_TTL,
        )
        if request.response_type == POST_MESSAGE:
            return self._keep(PopupAnswer(_page_origin(request.redirect_uri), grant, None, 0.0))
        code = secrets.token_urlsafe(32)
        self.codes[code] = grant
        return redirect_to(request.redirect_uri, {"code": code, "state": request.state})

    def decline(self, user_id: int, request_id: str) -> str:
        """The user declines: back to the site with ``error=access_denied`` (for a popup: the
        page that hands the site's page that error)."""
        request = self.pending(request_id)
        self.world.account(user_id)
        del self.requests[request.id]
        if request.response_type == POST_MESSAGE:
            origin = _page_origin(request.redirect_uri)
            return self._keep(PopupAnswer(origin, None, "access_denied", 0.0))
        refused = AuthorizeError(
            "access_denied", "the user declined the login", request.redirect_uri, request.state
        )
        return refused.location

    # -- the token endpoint ----------------------------------------------------------------

    def token(self, form: Params, authorization: str | None, issuer: str) -> Json:
        """Trade a code for tokens: ``{"access_token", "token_type", "expires_in", "scope",
        "id_token"}``; raises ``TokenError``."""
        self._forget_old()
        duplicated = _duplicates(form)
        if duplicated:
            raise TokenError("invalid_request", f"given more than once: {', '.join(duplicated)}")
        grant_type = _first(form, "grant_type")
        if not grant_type:
            raise TokenError("invalid_request", "grant_type is missing")
        if grant_type != "authorization_code":
            raise TokenError("unsupported_grant_type", "only authorization_code is supported")
        bot = self._authenticate(form, authorization)
        code = _first(form, "code")
        if not code:
            raise TokenError("invalid_request", "code is missing")
        grant = self.codes.get(code)
        if grant is None or grant.bot_id != bot.id:
            if code in self.redeemed:
                raise TokenError("invalid_grant", "the code was already used")
            raise TokenError("invalid_grant", "unknown code")
        # one attempt per code: a failed one spends it too
        del self.codes[code]
        self.redeemed[code] = grant.expires_at
        if grant.expires_at <= self.world.clock():
            raise TokenError("invalid_grant", "the code expired")
        redirect_uri = _first(form, "redirect_uri")
        if not redirect_uri:
            raise TokenError("invalid_request", "redirect_uri is missing")
        if redirect_uri != grant.redirect_uri:
            raise TokenError("invalid_grant", "redirect_uri differs from the authorization's")
        verifier = _first(form, "code_verifier")
        if not verifier:
            raise TokenError("invalid_request", "code_verifier is missing (PKCE)")
        if not hmac.compare_digest(s256(verifier), grant.code_challenge):
            raise TokenError("invalid_grant", "code_verifier does not match the code_challenge")
        return {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL,
            "scope": " ".join(grant.scopes),
            "id_token": self.keys.sign(self.claims(bot, grant, issuer), bot.oidc_algorithm),
        }

    def _authenticate(self, form: Params, authorization: str | None) -> Bot:
        """client_secret_basic or client_secret_post, not both (RFC 6749 §2.3)."""
        client_id = _first(form, "client_id")
        secret = _first(form, "client_secret")
        scheme, _, credentials = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            if secret is not None:
                raise TokenError("invalid_request", "use one way of client authentication")
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise TokenError("invalid_client", "malformed Basic credentials") from None
            basic_id, colon, basic_secret = decoded.partition(":")
            if not colon:
                raise TokenError("invalid_client", "malformed Basic credentials")
            basic_id, secret = unquote_plus(basic_id), unquote_plus(basic_secret)
            if client_id is not None and client_id != basic_id:
                raise TokenError("invalid_request", "client_id differs from the Basic one")
            client_id = basic_id
        if not client_id:
            raise TokenError("invalid_client", "no client authentication")
        bot = self._bot(client_id)
        if bot is None or secret is None:
            raise TokenError("invalid_client", "client authentication failed")
        if not hmac.compare_digest(secret.encode(), bot.oidc_client_secret.encode()):
            raise TokenError("invalid_client", "client authentication failed")
        return bot

    def claims(self, bot: Bot, grant: Grant, issuer: str) -> Json:
        account = self.world.account(grant.user_id)
        now = int(self.world.clock())
        claims: Json = {
            "iss": issuer,
            "aud": str(bot.id),
            "sub": self.subject(bot.id, account.id),
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if "profile" in grant.scopes:
            claims["id"] = account.id
            claims["name"] = " ".join(n for n in (account.first_name, account.last_name) if n)
            if account.username:
                claims["preferred_username"] = account.username
            if account.photo_url:
                claims["picture"] = account.photo_url
        if "phone" in grant.scopes and account.phone_number:
            claims["phone_number"] = account.phone_number
            claims["phone_number_verified"] = True
        return claims
