"""Settings, built once from the environment (prefix ``TGPASS_``) or from a mapping in tests.

Frozen: code receives a ``Settings`` and never reads the environment itself.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .errors import ConfigError

PREFIX = "TGPASS_"
FORMER_NAMES = {
    "oidc_client_id": "telegram_login_client_id",
    "oidc_client_secret": "telegram_login_client_secret",
    "oidc_issuer": "telegram_login_issuer",
    "oidc_scopes": "telegram_login_scopes",
}
"""Settings read under an earlier name too (``TGPASS_OIDC_*`` for Telegram Login, now
``TGPASS_TELEGRAM_LOGIN_*``, so that ``oidc_provider_*`` alone means tgpass's provider)."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///tgpass.sqlite3"
    """SQLAlchemy async URL: SQLite by default, ``postgresql+asyncpg://...`` to scale out."""
    database_schema: str = ""
    """PostgreSQL schema to use (its search_path); empty for the default."""
    kv_url: str = "memory://"
    """``memory://`` (one process) or ``redis://host:6379/0`` (shared by processes)."""
    kv_prefix: str = "tgpass:"
    bot_token: str = field(default="", repr=False)
    bot_username: str = ""
    """The bot's @username; asked of getMe when empty."""
    bot_api_url: str = "https://api.telegram.org"
    """Where the Bot API lives: Telegram, or a sandbox (``http://127.0.0.1:8081``)."""
    public_url: str = "http://127.0.0.1:8000"
    """How users reach the site: links in bot messages and the webhook URL are built from it."""
    webhook_secret: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    """Keys the hashing of one-time codes. Set it in production; a random one is used if empty."""
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    """Bearer keys of the existing website that calls the site API."""
    link_ttl: int = 3600
    login_link_ttl: int = 300
    session_ttl: int = 30 * 86400
    auth_max_age: int = 86400
    telegram_signup: bool = True
    """A Telegram user signing in for the first time gets an account (else: refused)."""
    widget_script_url: str = "https://telegram.org/js/telegram-widget.js?22"
    login_widget: bool = False
    """With Telegram Login (OpenID Connect) on, still offer the older Login Widget below it
    (it needs the bot's domain set with BotFather's /setdomain). Without it, the widget is
    offered anyway."""
    web_app_script_url: str = "https://telegram.org/js/telegram-web-app.js"
    read_cache_ttl: float = 1.0
    """Seconds a process may serve an account read from memory (0: never); other processes'
    changes show after at most this long."""
    login_attempts: int = 5
    login_window: int = 900
    site_name: str = "tgpass"
    telegram_link_base: str = "https://t.me"
    """Where ``t.me`` links point: Telegram, or a sandbox's ``/t.me`` (the demo's)."""
    max_body_size: int = 1_000_000
    """Largest request body accepted, in bytes (413 beyond)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (CIDR) whose ``X-Forwarded-For`` is believed; none by default."""
    store_timeout: float = 3.0
    """Seconds a database or KV call may take before the request answers 503 ``unavailable``."""
    # -- notifications and the worker ---------------------------------------------------------
    worker: bool = True
    """Run the worker (outbox, polling, reconciliation) inside ``tgpass serve``."""
    bot_rate: float = 30.0
    """Messages per second for the whole bot (Telegram's Bot FAQ: about 30)."""
    chat_rate: float = 1.0
    """Messages per second to one private chat (short bursts allowed)."""
    chat_burst: int = 3
    group_rate_per_minute: int = 20
    paid_broadcast: bool = False
    """Send ``allow_paid_broadcast`` (Telegram Stars) and raise the bot limit to 1000/s."""
    send_deadline: int = 86400
    """Seconds a message is retried through faults before it becomes a dead letter."""
    send_lease: int = 60
    """Seconds a worker holds a message it is sending; a dead worker's rows are reclaimed after."""
    send_concurrency: int = 64
    """Messages a worker process sends at once."""
    # -- gated chats ----------------------------------------------------------------------------
    reconcile_interval: float = 3600.0
    """Seconds between scheduled reconciler passes (a change event runs one at once)."""
    # -- event webhooks (the site hears what happens) -----------------------------------------
    events_retry_schedule: str = "0,5,300,1800,7200,18000,36000,36000"
    """Seconds before each attempt of a delivery, the first one's included; then ``failed``."""
    events_order_hold: float = 3600.0
    """Seconds a failing delivery holds back later ones about the same user; then they pass."""
    events_allow_private_urls: bool = False
    """Let endpoints be plain http and on loopback or private addresses (demo, tests)."""
    events_secret_grace: float = 86400.0
    """Seconds a rotated-out secret keeps signing beside the new one."""
    events_disable_after: float = 5 * 86400.0
    """Seconds an endpoint may keep failing before it is disabled."""
    events_concurrency: int = 8
    """Deliveries in flight to one endpoint at once, per worker."""
    events_timeout: float = 15.0
    """Seconds an endpoint has to answer one delivery."""
    events_retention: float = 30 * 86400.0
    """Seconds an event is kept once delivered or failed to every endpoint (listed and
    retryable meanwhile); one still pending is kept until it is done."""
    # -- languages ------------------------------------------------------------------------------
    default_language: str = "en"
    """The language of a person tgpass knows no better for: no choice saved, no language
    their browser or Telegram app names that is offered."""
    languages: tuple[str, ...] = ()
    """The languages offered, comma-separated (``en,ru``); empty: every one with a catalog,
    shipped or in ``TGPASS_TEXTS_DIR``."""
    texts_dir: str = ""
    """A folder of the site's own catalogs (``<language>/LC_MESSAGES/<domain>.po``: ``bot``,
    ``site``, ``errors``) whose messages win over tgpass's, in any language."""
    # -- the OpenID Connect provider (other applications sign in here) ------------------------
    oidc_provider_access_token_ttl: int = 3600
    """Seconds an access token given to an application lives."""
    oidc_provider_refresh_token_ttl: int = 30 * 86400
    """Seconds a refresh token lives unused (each use gives a new one)."""
    oidc_provider_id_token_ttl: int = 3600
    """Seconds an ID token lives; a retired signing key stays published this long, plus 10 min."""
    # -- Telegram Login (OpenID Connect) -------------------------------------------------------
    telegram_login_client_id: str = ""
    """Telegram Login's client id: the bot's id, taken from the bot token when empty."""
    telegram_login_client_secret: str = field(default="", repr=False)
    """The client secret BotFather gives for Web Login; setting it turns Telegram Login on."""
    telegram_login_issuer: str = "https://oauth.telegram.org"
    """Telegram Login's issuer: discovery at ``<issuer>/.well-known/openid-configuration``
    (a sandbox's is ``<sandbox>/oauth``)."""
    telegram_login_scopes: str = "openid profile phone telegram:bot_access"
    """What the site asks for, space-separated; ``openid`` and ``profile`` (the Telegram id)
    are needed."""

    @property
    def telegram_login_configured(self) -> bool:
        """Telegram Login (OpenID Connect) is on: its client secret is set."""
        return bool(self.telegram_login_client_secret)

    @property
    def widget_offered(self) -> bool:
        """The login page offers the Login Widget: Telegram Login is off, or both are asked."""
        return self.login_widget or not self.telegram_login_configured

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls.from_mapping(
            {name[len(PREFIX) :].lower(): v for name, v in env.items() if name.startswith(PREFIX)}
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        parsed: dict[str, Any] = {}
        # a former name first, so that the current one wins when both are set
        for given, raw in sorted(values.items(), key=lambda item: item[0] not in FORMER_NAMES):
            name = FORMER_NAMES.get(given, given)
            spec = known.get(name)
            if spec is None:
                continue  # other TGPASS_ variables (test settings and the like) are not ours
            parsed[name] = _convert(name, raw, spec.default)
        settings = cls(**parsed)
        if not settings.secret_key and not settings.kv_url.startswith("memory://"):
            # codes and sessions are keyed by it: processes sharing a store must share the key
            raise ConfigError(f"set {PREFIX}SECRET_KEY when processes share a KV store")
        if not settings.secret_key:
            settings = replace(settings, secret_key=secrets.token_urlsafe(32))
        return settings


def _convert(name: str, raw: Any, default: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if isinstance(default, bool):
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes", "on"}
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{name.upper()} has a bad value") from None
    return raw
