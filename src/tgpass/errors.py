"""The one exception tree of tgpass.

::

    TgpassError                      base of everything tgpass raises on purpose
     ├── InvalidAuthData (ValueError) signed Telegram data that cannot be trusted
     ├── InvalidDeepLink (ValueError) a deep-link payload or bot username Telegram would refuse
     ├── ConfigError     (ValueError) a setting tgpass cannot work with (e.g. a bot token
     │                                that is not "<bot id>:<secret>")
     ├── InvalidInput    (ValueError) a request field the service cannot accept (.field)
     ├── AuthError                    not signed in, wrong password, a replayed sign-in
     │    └── TooManyAttempts (RateLimited)  sign-in throttled
     ├── RateLimited                  slow down: .retry_after seconds
     ├── Forbidden                    signed in, but not allowed (e.g. not linked)
     ├── NotFound                     no such user, code or link
     ├── Conflict                     the request clashes with what exists (a taken username)
     ├── Unavailable                  a backing store (database, KV) did not answer in time
     └── TelegramError                the Bot API failed or refused a call
          ├── TelegramRateLimited (RateLimited)  429: pause the bot for .retry_after
          ├── RecipientUnavailable    403: blocked, deactivated, never started (.reason)
          ├── ChatMigrated            400: the group became a supergroup (.new_chat_id)
          ├── TelegramRefused         another 4xx: permanent for this request
          └── TelegramTransient       5xx, network trouble, timeout: worth retrying

Every error has a stable, machine-readable ``.code`` (what an HTTP API puts in
``{"error": {"code": ..., "message": ...}}``) and a human ``message``. Errors about
input also subclass ``ValueError``, so code that already catches ``ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, Literal, get_args

AuthErrorCode = Literal[
    "malformed",
    "missing_field",
    "bad_signature",
    "expired",
    "auth_date_in_future",
    "wrong_issuer",
    "wrong_audience",
    "wrong_nonce",
    "unknown_key",
    "unsupported_algorithm",
]


class TgpassError(Exception):
    """Base class of every error tgpass raises on purpose."""

    code: str = "error"

    def __init__(
        self, message: str, *, code: str | None = None, values: Mapping[str, object] | None = None
    ) -> None:
        """``message`` may name ``{placeholders}`` that ``values`` fill in: the message as
        written is what a catalog translates (``template``), with the same values."""
        self.template = message
        self.values = dict(values or {})
        self.message = message.format(**self.values) if self.values else message
        super().__init__(self.message)
        if code is not None:
            self.code = code

    def to_dict(self, message: str | None = None) -> dict[str, object]:
        """The error as the JSON body tgpass answers with: ``{"error": {...}}`` (``message``
        in place of the English one, e.g. translated)."""
        return {"error": {"code": self.code, "message": message or self.message}}


class InvalidAuthData(TgpassError, ValueError):
    """Signed Telegram data (Mini App init data, Login Widget fields) failed a check.

    ``code`` says which check, and the error carries its evidence:

    - ``malformed``: not a well-formed payload (bad encoding, duplicate or empty key,
      a non-integer ``auth_date``, a nested object that is not JSON of the right shape).
    - ``missing_field``: a required field is absent; ``field`` names it.
    - ``bad_signature``: the hash or signature does not match, or cannot be one.
    - ``expired``: older than ``max_age``; ``auth_date`` is when it was signed.
    - ``auth_date_in_future``: signed later than now plus the allowed clock skew.

    Telegram Login ID tokens (``tgpass.login_token``) add:

    - ``wrong_issuer``: ``iss`` is not the issuer expected (``https://oauth.telegram.org``).
    - ``wrong_audience``: ``aud`` (or ``azp``) is not this site's client id (the bot id).
    - ``wrong_nonce``: the token's ``nonce`` is not the one this login started with.
    - ``unknown_key``: the ``kid`` the token names is not among the keys given.
    - ``unsupported_algorithm``: ``alg`` is not one Telegram signs with (RS256, ES256,
      EdDSA, ES256K): never ``none``, never an HMAC.
    """

    CODES: ClassVar[frozenset[str]] = frozenset(get_args(AuthErrorCode))

    code: AuthErrorCode

    def __init__(
        self,
        code: AuthErrorCode,
        message: str,
        *,
        field: str | None = None,
        auth_date: datetime | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, values=values)
        self.field = field
        self.auth_date = auth_date

    def __repr__(self) -> str:
        return f"InvalidAuthData({self.code!r}, {self.message!r}, field={self.field!r})"


class InvalidDeepLink(TgpassError, ValueError):
    """A ``start``/``startapp`` payload or a bot username that Telegram would not accept."""

    code = "bad_deep_link"


class ConfigError(TgpassError, ValueError):
    """A setting or argument tgpass cannot work with: a malformed bot token, a bad key."""

    code = "bad_config"


class InvalidInput(TgpassError, ValueError):
    """A field of a request that the service cannot accept; ``field`` names it."""

    code = "invalid_input"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        values: Mapping[str, object] | None = None,
    ):
        super().__init__(message, code=code, values=values)
        self.field = field


class AuthError(TgpassError):
    """Authentication failed: no or bad credentials, an unusable session, a replay."""

    code = "unauthorized"


class RateLimited(TgpassError):
    """Too much, too fast: try again after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float, values: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message, values=values)
        self.retry_after = retry_after


class TooManyAttempts(RateLimited, AuthError):
    """Sign-in attempts throttled for this account and client, or this client."""

    code = "rate_limited"


class Forbidden(TgpassError):
    code = "forbidden"


class NotFound(TgpassError):
    code = "not_found"


class Conflict(TgpassError):
    code = "conflict"


class Unavailable(TgpassError):
    """A backing store (the database, the KV store) did not answer in time: try again soon."""

    code = "unavailable"


class TelegramError(TgpassError):
    """The Bot API failed or refused a call. ``method`` names the call."""

    code = "telegram_error"

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        code: str | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, values=values)
        self.method = method


class TelegramRateLimited(RateLimited, TelegramError):
    """429 from Telegram: the whole bot pauses for ``retry_after`` seconds (not a failure)."""

    code = "telegram_rate_limited"

    def __init__(self, message: str, *, retry_after: float, method: str = "") -> None:
        RateLimited.__init__(self, message, retry_after=retry_after)
        self.method = method


class RecipientUnavailable(TelegramError):
    """403: the user blocked the bot, was deactivated, or never started it. ``reason`` is
    Telegram's description. Never worth retrying."""

    code = "recipient_unavailable"

    def __init__(self, reason: str, *, method: str = "") -> None:
        super().__init__(reason, method=method)
        self.reason = reason


class ChatMigrated(TelegramError):
    """400 with ``migrate_to_chat_id``: the group is now the supergroup ``new_chat_id``."""

    code = "chat_migrated"

    def __init__(self, new_chat_id: int, *, method: str = "") -> None:
        super().__init__(
            "the chat migrated to {new_chat_id}", method=method, values={"new_chat_id": new_chat_id}
        )
        self.new_chat_id = new_chat_id


class TelegramRefused(TelegramError):
    """Another 4xx (chat not found, bad markup, not enough rights): permanent for this call."""

    code = "telegram_refused"


class TelegramTransient(TelegramError):
    """5xx, network trouble or a timeout: the call may or may not have happened; retry."""

    code = "telegram_transient"
