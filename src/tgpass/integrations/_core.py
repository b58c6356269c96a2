"""What every framework integration shares: read an ``Authorization`` header, say who sent it.

``Authorization: tma <initData>`` carries a Mini App's init data (the scheme the Telegram Mini
Apps documentation uses); ``Authorization: Bearer <id_token>`` a Telegram Login ID token, when
the site gives a ``login_tokens`` check. Either becomes a ``TelegramIdentity``, or a
``NotAuthenticated`` whose ``code`` is stable and whose message quotes no secret.

No framework is imported here, and nothing is done at import time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from tgpass.errors import AuthError, ConfigError, InvalidAuthData
from tgpass.verify import (
    TELEGRAM_PUBLIC_KEY,
    InitData,
    TelegramLogin,
    Verified,
    Verifier,
    validate_init_data_signature,
)

from ._login_tokens import LoginTokens

Signature = Literal["hmac", "ed25519", "either"]
DEFAULT_MAX_AGE = 86400.0
DEFAULT_MAX_SKEW = 60.0
REALM = "telegram"


@dataclass(frozen=True, slots=True)
class TelegramIdentity:
    """Who sent the request, as Telegram signed it."""

    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    photo_url: str | None
    scheme: Literal["tma", "bearer", "widget"]
    """``tma``: Mini App init data; ``bearer``: a Telegram Login ID token; ``widget``: the
    Login Widget's or a LoginUrl button's fields."""
    bot_id: int
    """The bot the data was signed for, or the ID token's audience."""
    init_data: InitData | None = None
    login_token: object | None = None
    """With ``bearer``: the checked token (``tgpass.login_token.TelegramLoginToken``)."""
    login: TelegramLogin | None = None
    """With ``widget``: the checked Login Widget fields."""

    @property
    def display_name(self) -> str:
        """The name to show: first and last name, or the username when Telegram gave none."""
        name = f"{self.first_name} {self.last_name}" if self.last_name else self.first_name
        return name or (f"@{self.username}" if self.username else str(self.telegram_id))


class NotAuthenticated(AuthError):
    """The request did not prove who sent it; answered 401 with ``as_json()``.

    ``code`` is one of ``missing_credentials`` (no ``Authorization`` header),
    ``malformed_header`` (a scheme without credentials), ``unsupported_scheme`` (neither
    ``tma`` nor, when configured, ``Bearer``), or the ``InvalidAuthData`` code of the check
    that failed (``bad_signature``, ``expired``, ``malformed``, ...).
    ``www_authenticate`` is the challenge a 401 carries in ``WWW-Authenticate``.
    """

    code = "unauthorized"
    status_code: ClassVar[int] = 401

    def __init__(self, code: str, message: str, *, www_authenticate: str) -> None:
        super().__init__(message, code=code)
        self.www_authenticate = www_authenticate

    def as_json(self) -> dict[str, Any]:
        """``{"error": {"code": ..., "message": ...}}``, the body every 401 carries."""
        return {"error": {"code": self.code, "message": self.message}}

    def __repr__(self) -> str:
        return f"NotAuthenticated({self.code!r}, {self.message!r})"


@runtime_checkable
class LoginTokenCheck(Protocol):
    """Checks a Telegram Login ID token; raises ``InvalidAuthData`` when it cannot be trusted.

    The result is the checked token: it has ``telegram_id`` and ``audience`` (the bot id the
    token was issued to), and may have ``first_name``, ``last_name``, ``username``,
    ``picture`` and ``language_code``.
    """

    def check(self, id_token: str) -> Any: ...

    async def check_async(self, id_token: str) -> Any: ...


class _LruCache:
    """Identities already verified, by the header (or raw init data) that carried them, with
    when it was signed: a
    bounded LRU. Reads take no lock (each ``OrderedDict`` call is atomic under the GIL);
    writes do, so that two threads never evict past the bound."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[TelegramIdentity, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, raw: str) -> tuple[TelegramIdentity, float] | None:
        found = self._items.get(raw)
        if found is not None:
            try:  # noqa: SIM105 (every cached request passes here: no context manager)
                self._items.move_to_end(raw)
            except KeyError:  # evicted by another thread meanwhile: still verified
                pass
        return found

    def put(self, raw: str, identity: TelegramIdentity, signed: float) -> None:
        if not self._size:
            return
        with self._lock:
            self._items[raw] = (identity, signed)
            self._items.move_to_end(raw)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class Authenticator:
    """Turns an ``Authorization`` header into a ``TelegramIdentity`` or ``NotAuthenticated``.

    >>> auth = Authenticator(bot_tokens=["123:abc"])              # doctest: +SKIP
    >>> auth.authenticate("tma query_id=...&hash=...").telegram_id  # doctest: +SKIP

    ``bot_tokens`` check init data with each bot's HMAC; ``bot_ids`` name bots whose tokens
    this site does not hold, checked with Telegram's Ed25519 ``signature`` (``public_key``).
    ``signature`` picks the check: ``hmac``, ``ed25519`` (for every bot, tokens or not), or
    ``either`` (the HMAC for bots with a token, Ed25519 for the others). ``max_age`` seconds
    (None: no age check, which allows replay); ``clock`` returns unix seconds. An identity
    verified from init data is kept, by the header that carried it, in a bounded LRU of
    ``cache_size`` entries (0: none); its age is checked again on every hit. ``login_tokens``
    (a ``LoginTokens``, or any ``LoginTokenCheck``) accepts Telegram Login ID tokens as
    ``Bearer`` too; ID tokens are not cached.
    """

    def __init__(
        self,
        *,
        bot_tokens: Sequence[str] = (),
        bot_ids: Sequence[int] = (),
        max_age: float | None = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
        signature: Signature = "either",
        login_tokens: LoginTokenCheck | None = None,
        cache_size: int = 4096,
        public_key: str | bytes = TELEGRAM_PUBLIC_KEY,
        max_skew: float = DEFAULT_MAX_SKEW,
    ) -> None:
        if isinstance(bot_tokens, str) or isinstance(bot_ids, str | int):
            raise ConfigError("bot_tokens and bot_ids are lists, not one value")
        if signature not in ("hmac", "ed25519", "either"):
            raise ConfigError("signature must be 'hmac', 'ed25519' or 'either'")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ConfigError("cache_size must be a non-negative integer")
        if max_age is not None and max_age <= 0:
            raise ConfigError("max_age must be positive seconds, or None")
        ids = [_bot_id(value) for value in bot_ids]
        if len(set(ids)) != len(ids):
            raise ConfigError("a bot id is listed twice")
        self._verifier = (
            Verifier(bot_tokens, max_age=max_age, max_skew=max_skew, clock=clock)
            if bot_tokens
            else None
        )
        token_ids = self._verifier.bot_ids if self._verifier else ()
        if signature == "hmac":
            if self._verifier is None:
                raise ConfigError("signature='hmac' needs bot_tokens")
            if set(ids) - set(token_ids):
                raise ConfigError("signature='hmac' cannot check a bot_id without its token")
            ed25519_ids: tuple[int, ...] = ()
        elif signature == "ed25519":
            ed25519_ids = tuple(dict.fromkeys([*token_ids, *ids]))
        else:
            ed25519_ids = tuple(bot_id for bot_id in ids if bot_id not in token_ids)
        self.init_data_accepted = self._verifier is not None or bool(ed25519_ids)
        if not self.init_data_accepted and login_tokens is None:
            raise ConfigError("an Authenticator needs bot_tokens or bot_ids")
        self._hmac = self._verifier is not None and signature != "ed25519"
        self._ed25519_ids = ed25519_ids
        self._public_key = public_key
        self.bot_ids: tuple[int, ...] = tuple(dict.fromkeys([*token_ids, *ids]))
        self.signature: Signature = signature
        self.max_age = max_age
        self.max_skew = max_skew
        self.clock = clock
        self.login_tokens = login_tokens
        self._cache = _LruCache(cache_size)
        self.schemes: tuple[str, ...] = ("tma",) if self.init_data_accepted else ()
        if login_tokens is not None:
            self.schemes += ("Bearer",)
        self.challenge = ", ".join(f'{scheme} realm="{REALM}"' for scheme in self.schemes)
        """``WWW-Authenticate`` of a 401: each scheme this authenticator accepts."""

    # -- the header ---------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> TelegramIdentity:
        """The identity the header proves; ``NotAuthenticated`` when it proves none."""
        cached = self._cached(authorization)
        if cached is not None:
            return cached
        scheme, credentials = self._split(authorization)
        if scheme == "tma":
            return self._init_data(credentials, authorization)
        assert self.login_tokens is not None  # _split lets bearer through only then
        try:
            token = self.login_tokens.check(credentials)
        except InvalidAuthData as error:
            raise self._refused(error, bearer=True) from None
        return self._token_identity(token)

    async def authenticate_async(self, authorization: str | None) -> TelegramIdentity:
        """The same, for an ID token whose keys may have to be fetched first."""
        cached = self._cached(authorization)
        if cached is not None:
            return cached
        scheme, credentials = self._split(authorization)
        if scheme == "tma":
            return self._init_data(credentials, authorization)
        assert self.login_tokens is not None
        try:
            token = await self.login_tokens.check_async(credentials)
        except InvalidAuthData as error:
            raise self._refused(error, bearer=True) from None
        return self._token_identity(token)

    def _cached(self, key: str | None) -> TelegramIdentity | None:
        """A header (or init data) seen before: the same identity, if still young enough.
        Looked up before the header is even split: most requests repeat their header."""
        found = self._cache.get(key) if key else None
        if found is None:
            return None
        self._check_age(found[1])
        return found[0]

    def _split(self, authorization: str | None) -> tuple[Literal["tma", "bearer"], str]:
        # RFC 9110: the scheme, one or more spaces, the credentials
        scheme, _, credentials = (authorization or "").strip(" ").partition(" ")
        if not scheme:
            raise self.refuse("missing_credentials", "send an Authorization header")
        scheme = scheme.lower()
        credentials = credentials.lstrip(" ")
        if scheme == "tma" and self.init_data_accepted:
            kind: Literal["tma", "bearer"] = "tma"
        elif scheme == "bearer" and self.login_tokens is not None:
            kind = "bearer"
        else:
            accepted = " or ".join(self.schemes)
            raise self.refuse("unsupported_scheme", f"the Authorization scheme must be {accepted}")
        if not credentials:
            raise self.refuse("malformed_header", f"the {scheme} scheme needs its credentials")
        return kind, credentials

    # -- each kind of credentials -------------------------------------------------------------

    def init_data(self, raw: str) -> TelegramIdentity:
        """Mini App init data (the raw query string), checked, or ``NotAuthenticated``."""
        return self._cached(raw) or self._init_data(raw, raw)

    def _init_data(self, raw: str, key: str | None) -> TelegramIdentity:
        """Checks ``raw`` and caches the identity under ``key``: the whole header, so that
        the same header next time is one lookup."""
        try:
            verified = self._verify(raw)
            identity = _init_data_identity(verified)
        except InvalidAuthData as error:
            raise self._refused(error) from None
        if key:
            self._cache.put(key, identity, verified.data.auth_date.timestamp())
        return identity

    def login_widget(
        self, fields: Mapping[str, Any], *, ignore: Collection[str] = ()
    ) -> TelegramIdentity:
        """Login Widget or LoginUrl fields (a callback's query), checked with the bot tokens.

        ``ignore`` names the callback URL's own parameters (``next``, say), which Telegram did
        not sign; every other field counts, as Telegram's check requires."""
        if self._verifier is None:
            raise ConfigError("the Login Widget is checked with bot tokens: give bot_tokens")
        signed = {key: value for key, value in fields.items() if key not in ignore}
        try:
            verified = self._verifier.login_widget(signed)
        except InvalidAuthData as error:
            raise self._refused(error) from None
        login = verified.data
        return TelegramIdentity(
            telegram_id=login.id,
            first_name=login.first_name,
            last_name=login.last_name,
            username=login.username,
            language_code=None,
            photo_url=login.photo_url,
            scheme="widget",
            bot_id=verified.bot_id,
            login=login,
        )

    def refuse(self, code: str, message: str) -> NotAuthenticated:
        """A ``NotAuthenticated`` carrying this authenticator's challenge."""
        return NotAuthenticated(code, message, www_authenticate=self.challenge)

    def _refused(self, error: InvalidAuthData, *, bearer: bool = False) -> NotAuthenticated:
        challenge = self.challenge
        if bearer:  # RFC 6750: say the token was the trouble
            challenge = f'Bearer realm="{REALM}", error="invalid_token"'
        return NotAuthenticated(error.code, error.message, www_authenticate=challenge)

    def _verify(self, raw: str) -> Verified[InitData]:
        if self._hmac:
            assert self._verifier is not None
            try:
                return self._verifier.init_data(raw)
            except InvalidAuthData as error:
                if error.code != "bad_signature" or not self._ed25519_ids:
                    raise
                if "signature=" not in raw:  # no Ed25519 signature to fall back on
                    raise
        return self._verify_ed25519(raw)

    def _verify_ed25519(self, raw: str) -> Verified[InitData]:
        refused: InvalidAuthData | None = None
        for bot_id in self._ed25519_ids:
            try:
                data = validate_init_data_signature(
                    raw,
                    bot_id,
                    public_key=self._public_key,
                    max_age=self.max_age,
                    max_skew=self.max_skew,
                    now=self.clock(),
                )
            except InvalidAuthData as error:
                if error.code != "bad_signature":  # the same for every bot: say it now
                    raise
                refused = error
                continue
            return Verified(bot_id, data)
        assert refused is not None  # ed25519 ids are never empty here
        raise refused

    def _check_age(self, signed: float) -> None:
        now = self.clock()
        if signed > now + self.max_skew:
            raise self.refuse("auth_date_in_future", "auth_date is in the future")
        if self.max_age is not None and now - signed > self.max_age:
            raise self.refuse(
                "expired",
                f"signed {now - signed:.0f} s ago, more than max_age={self.max_age:g} s",
            )

    def _token_identity(self, token: Any) -> TelegramIdentity:
        telegram_id = getattr(token, "telegram_id", None)
        if isinstance(telegram_id, bool) or not isinstance(telegram_id, int):
            raise self.refuse("missing_field", "the ID token names no Telegram user")
        return TelegramIdentity(
            telegram_id=telegram_id,
            first_name=getattr(token, "first_name", None) or "",
            last_name=getattr(token, "last_name", None),
            username=getattr(token, "username", None),
            language_code=getattr(token, "language_code", None),
            photo_url=getattr(token, "picture", None),
            scheme="bearer",
            bot_id=_audience_bot_id(getattr(token, "audience", None)),
            login_token=token,
        )

    # -- settings -----------------------------------------------------------------------------

    @classmethod
    def from_settings(
        cls, mapping: Mapping[str, Any], *, clock: Callable[[], float] = time.time
    ) -> Authenticator:
        """An authenticator from upper-case settings (Django's ``settings.TGPASS``, Flask's
        ``app.config["TGPASS"]``): ``BOT_TOKENS``, ``BOT_IDS``, ``MAX_AGE``, ``SIGNATURE``,
        ``PUBLIC_KEY``, ``CACHE_SIZE``; ``LOGIN_CLIENT_IDS`` (the bot ids ID tokens may be
        issued to, with ``LOGIN_KEYS``, a JWKS, or else Telegram's published keys) accepts
        Telegram Login ID tokens as ``Bearer`` too."""
        return cls(**settings_options(mapping, clock=clock), clock=clock)


# setting -> Authenticator keyword; LOGIN_CLIENT_IDS and LOGIN_KEYS make login_tokens
SETTINGS = {
    "BOT_TOKENS": "bot_tokens",
    "BOT_IDS": "bot_ids",
    "MAX_AGE": "max_age",
    "SIGNATURE": "signature",
    "PUBLIC_KEY": "public_key",
    "CACHE_SIZE": "cache_size",
    "LOGIN_CLIENT_IDS": "",
    "LOGIN_KEYS": "",
}


def settings_options(
    mapping: Mapping[str, Any], *, clock: Callable[[], float] = time.time
) -> dict[str, Any]:
    """``Authenticator`` keywords from upper-case settings; a misspelt one is an error."""
    unknown = set(mapping) - set(SETTINGS)
    if unknown:
        raise ConfigError(f"unknown tgpass settings: {', '.join(sorted(unknown))}")
    options = {SETTINGS[key]: value for key, value in mapping.items() if SETTINGS[key]}
    for listed in ("bot_tokens", "bot_ids"):
        if listed in options and not isinstance(options[listed], str | int):
            options[listed] = tuple(options[listed])
    client_ids = mapping.get("LOGIN_CLIENT_IDS")
    if client_ids:
        options["login_tokens"] = LoginTokens(client_ids, mapping.get("LOGIN_KEYS"), clock=clock)
    elif "LOGIN_KEYS" in mapping:
        raise ConfigError("LOGIN_KEYS without LOGIN_CLIENT_IDS: which bots are the tokens for?")
    return options


def scheme_of(authorization: str | None) -> str:
    """The scheme of an ``Authorization`` header, lower case; empty when there is none."""
    parts = authorization.split(None, 1) if authorization else []
    return parts[0].lower() if parts else ""


def _init_data_identity(verified: Verified[InitData]) -> TelegramIdentity:
    data = verified.data
    user = data.user
    if user is None:
        raise InvalidAuthData("missing_field", "the init data names no user", field="user")
    return TelegramIdentity(
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        photo_url=user.photo_url,
        scheme="tma",
        bot_id=verified.bot_id,
        init_data=data,
    )


def _bot_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError("a bot id is a positive integer")
    return value


def _audience_bot_id(audience: object) -> int:
    """The bot an ID token was issued to: its audience, the bot id as client id."""
    values = audience if isinstance(audience, list | tuple) else [audience]
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
    return 0


__all__ = [
    "Authenticator",
    "LoginTokenCheck",
    "LoginTokens",
    "NotAuthenticated",
    "TelegramIdentity",
    "scheme_of",
]
