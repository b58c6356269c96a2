"""Telegram Login ID tokens: verify the ``id_token`` Telegram's OpenID Connect sign-in gives.

Telegram Login (issuer ``https://oauth.telegram.org``) has no userinfo endpoint: the ID token
carries everything. Its ``aud`` is the bot id (the client id); the Telegram user id is the
``id`` claim, not ``sub`` (an opaque subject per bot). Tokens are signed RS256 unless the
bot chose ES256, EdDSA (Ed25519) or ES256K; the key set at
``https://oauth.telegram.org/.well-known/jwks.json`` holds a key for each.

Offline, with a key set you hold (a JWKS as a mapping or JSON text, or a ``LoginKeySet``)::

    from tgpass.login_token import LoginKeySet, validate_login_token

    keys = LoginKeySet(jwks_json)          # read once, reuse for every token
    login = validate_login_token(id_token, client_id=bot_id, keys=keys, nonce=nonce)
    login.telegram_id, login.username, login.phone_number

With Telegram's keys fetched, cached, and fetched again when Telegram rotates them::

    from tgpass.login_token import TelegramLoginKeys

    telegram_keys = TelegramLoginKeys()    # one per process; await telegram_keys.aclose()
    login = await telegram_keys.validate(id_token, client_id=bot_id, nonce=nonce)

Every failure is an ``InvalidAuthData`` (a ``ValueError``) with a stable ``code``:
``malformed``, ``unsupported_algorithm``, ``missing_field``, ``unknown_key``,
``bad_signature``, ``wrong_issuer``, ``wrong_audience``, ``expired``,
``auth_date_in_future``, ``wrong_nonce``. A key set with keys of a type tgpass does not know
is read all the same: only the key the token names matters.

Needs the ``login-token`` extra (joserfc; httpx only for ``TelegramLoginKeys``, imported
when it first fetches): ``pip install 'tgpass[login-token]'``.
"""

try:
    import joserfc as _joserfc  # noqa: F401  (checked here, used by the modules below)
except ModuleNotFoundError as missing:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "tgpass.login_token needs joserfc: install the extra with pip install 'tgpass[login-token]'"
    ) from missing

from ._fetch import MIN_FETCH_INTERVAL, REFRESH_AFTER, TelegramLoginKeys
from ._keys import ALGORITHMS, JWKS_URL, TELEGRAM_ISSUER, LoginKeySet
from ._validate import DEFAULT_LEEWAY, TelegramLoginToken, token_key_id, validate_login_token

__all__ = [
    "ALGORITHMS",
    "DEFAULT_LEEWAY",
    "JWKS_URL",
    "MIN_FETCH_INTERVAL",
    "REFRESH_AFTER",
    "TELEGRAM_ISSUER",
    "LoginKeySet",
    "TelegramLoginKeys",
    "TelegramLoginToken",
    "token_key_id",
    "validate_login_token",
]
