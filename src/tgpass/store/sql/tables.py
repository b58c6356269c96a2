"""The schema, as SQLAlchemy Core tables. Changes go through an Alembic migration too."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.types import TypeEngine

metadata = MetaData()


def _id() -> TypeEngine[int]:
    return BigInteger().with_variant(Integer, "sqlite")


# Every table whose id leaves the database (a session, a sign-in code, an OpenID subject, an
# outbox row or an audit entry remembers it) is sqlite_autoincrement: SQLite would otherwise
# give a deleted highest id to the next row, and with it what remembered the old one.

# Machine times (due, leases, expiry) are Unix seconds as floats: cheap to compare everywhere.

# BigInteger everywhere an id may come from Telegram: user ids exceed 2**32.
users = Table(
    "users",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("username", String(32), unique=True, nullable=True),
    Column("password_hash", String(255), nullable=True),
    Column("display_name", String(128), nullable=False),
    Column("site_user_id", String(128), unique=True, nullable=True),
    Column("role", String(32), nullable=False, server_default="member"),
    Column("karma", BigInteger, nullable=False, server_default="0"),
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("language", String(16), nullable=True),
    sqlite_autoincrement=True,
)

telegram_accounts = Table(
    "telegram_accounts",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column(
        "user_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("users.id", ondelete="CASCADE"),
        unique=True,
        nullable=False,
    ),
    Column("chat_id", BigInteger, nullable=True),
    Column("first_name", String(128), nullable=False),
    Column("last_name", String(128), nullable=True),
    Column("username", String(64), nullable=True),
    Column("photo_url", String(512), nullable=True),
    Column("language_code", String(16), nullable=True),
    Column("phone_number", String(32), nullable=True),
    Column("bot_blocked", Boolean, nullable=False, server_default=false()),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

# One live link code per account: issuing a new one replaces the row.
link_codes = Table(
    "link_codes",
    metadata,
    Column("user_id", _id(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("code_hash", String(64), unique=True, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# A relink waiting for the Telegram account owner's yes.
link_consents = Table(
    "link_consents",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", _id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("telegram_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# Each update handled once: its row is written in the transaction of what it changed.
bot_updates = Table(
    "bot_updates",
    metadata,
    Column("bot_id", BigInteger, nullable=False),
    Column("update_id", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # handled | failed
    Column("error", String(512), nullable=True),
    Column("payload", Text, nullable=True),  # a failed update, kept for the operator
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("bot_id", "update_id"),
)

# What a site asked to send: one notification, one outbox row per recipient.
notifications = Table(
    "notifications",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # single | broadcast
    Column("recipients", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    # A broadcast's last message settled and the site told: set once, by that transaction.
    Column("completed_at", Float, nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("notification_id", String(32), nullable=True, index=True),
    Column("user_id", BigInteger, nullable=True, index=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),  # queued|sending|sent|failed|unreachable
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(512), nullable=True),
    Column("available_at", Float, nullable=False),
    Column("deadline", Float, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=False, server_default="0"),
    Column("message_id", BigInteger, nullable=True),
    Index("outbox_due", "state", "available_at"),
    sqlite_autoincrement=True,
)

# Idempotency-Key of the site API: the same key and body answer the same, once.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Gated chats. Rights and roles are JSON lists of names, sorted.
gated_chats = Table(
    "gated_chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("title", String(255), nullable=False),
    Column("type", String(16), nullable=False),  # group | supergroup | channel | private
    Column("bot_rights", Text, nullable=False),
    Column("paused_reason", String(255), nullable=True),
    Column("managed", Boolean, nullable=False),
)

gated_chat_rules = Table(
    "gated_chat_rules",
    metadata,
    Column(
        "chat_id",
        BigInteger,
        ForeignKey("gated_chats.chat_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("min_karma", BigInteger, nullable=True),
    Column("roles", Text, nullable=True),
)

gated_members = Table(
    "gated_members",
    metadata,
    Column(
        "chat_id", BigInteger, ForeignKey("gated_chats.chat_id", ondelete="CASCADE"), nullable=False
    ),
    Column("telegram_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # member | administrator | creator | ...
    Column("updated_at", Float, nullable=False),
    # The site account the bot admitted this Telegram account for, if it did.
    Column("user_id", BigInteger, nullable=True),
    # Removed (banned) by the bot, whose unban has not yet gone through.
    Column("owed_unban", Boolean, nullable=False, server_default=false()),
    PrimaryKeyConstraint("chat_id", "telegram_id"),
)

# Personal invite links, looked up by a hash of the URL; the URL is kept to revoke the link.
# Used and revoked ones stay, as history.
gated_invites = Table(
    "gated_invites",
    metadata,
    Column(
        "chat_id", BigInteger, ForeignKey("gated_chats.chat_id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(32), nullable=False),  # Telegram's limit for a link's name
    Column("link_hash", String(64), nullable=False, unique=True),
    Column("invite_link", String(255), nullable=True),
    Column("user_id", BigInteger, nullable=False, index=True),
    Column("telegram_id", BigInteger, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("state", String(16), nullable=False),  # live | used | revoked
    Column("created_at", Float, nullable=False),
    Column("closed_at", Float, nullable=True),
    PrimaryKeyConstraint("chat_id", "name"),
    Index("gated_invites_live", "chat_id", "state"),
)

# What gating did and why; no foreign key: the trail outlives a forgotten chat.
gating_audit = Table(
    "gating_audit",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("telegram_id", BigInteger, nullable=True),
    Column("user_id", BigInteger, nullable=True, index=True),
    Column("reason", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
    sqlite_autoincrement=True,
)

# Join requests the bot has yet to answer (retried when Telegram fails).
gated_join_requests = Table(
    "gated_join_requests",
    metadata,
    Column(
        "chat_id", BigInteger, ForeignKey("gated_chats.chat_id", ondelete="CASCADE"), nullable=False
    ),
    Column("telegram_id", BigInteger, nullable=False),
    Column("user_chat_id", BigInteger, nullable=False),
    Column("at", Float, nullable=False),
    Column("query_id", String(64), nullable=True),
    Column("invite_link", String(255), nullable=True),
    Column("language_code", String(16), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Float, nullable=False),
    PrimaryKeyConstraint("chat_id", "telegram_id"),
    Index("gated_join_requests_due", "next_at"),
)

# Change events (karma, role, link, rule) the reconciler has yet to act on: written in the
# transaction that made the change, deleted once a pass has seen them.
gating_requests = Table(
    "gating_requests",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("reason", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    sqlite_autoincrement=True,
)

# The OpenID provider. Codes and tokens are kept as SHA-256 hashes; a grant is what one code
# started, and revoking it revokes every token made from it (tgpass.service.oidc.provider.store).
oidc_clients = Table(
    "oidc_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("secret_hash", String(64), nullable=True),  # none: a public client
    Column("redirect_uris", Text, nullable=False),  # JSON lists
    Column("post_logout_redirect_uris", Text, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("id_token_alg", String(8), nullable=False),
    Column("created_at", Float, nullable=False),
)

oidc_keys = Table(
    "oidc_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("alg", String(8), nullable=False),
    Column("private_jwk", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("retired_at", Float, nullable=True),
    Column("drop_after", Float, nullable=True),
)

oidc_grants = Table(
    "oidc_grants",
    metadata,
    Column("grant_id", String(32), primary_key=True),
    Column(
        "client_id",
        String(64),
        ForeignKey("oidc_clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", _id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    Index("oidc_grants_user", "user_id"),  # revoking an account's grants; deleting one
)

oidc_codes = Table(
    "oidc_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column(
        "grant_id",
        String(32),
        ForeignKey("oidc_grants.grant_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("client_id", String(64), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("nonce", String(255), nullable=True),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(8), nullable=True),
    Column("auth_time", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
    Index("oidc_codes_nonce", "client_id", "nonce"),
    Index("oidc_codes_expiry", "expires_at"),
)

oidc_tokens = Table(
    "oidc_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # access | refresh
    Column(
        "grant_id",
        String(32),
        ForeignKey("oidc_grants.grant_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("client_id", String(64), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("scope", Text, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index("oidc_tokens_grant", "grant_id"),
    Index("oidc_tokens_expiry", "expires_at"),
)

oidc_consents = Table(
    "oidc_consents",
    metadata,
    Column("user_id", _id(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column(
        "client_id",
        String(64),
        ForeignKey("oidc_clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("scopes", Text, nullable=False),  # a JSON list
    Column("granted_at", Float, nullable=False),
    PrimaryKeyConstraint("user_id", "client_id"),
)

# The OpenID subject of an account: random, kept for ever (never the row id or Telegram id).
oidc_subjects = Table(
    "oidc_subjects",
    metadata,
    Column(
        "user_id",
        _id(),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("subject", String(64), unique=True, nullable=False),
)

# Event webhooks. An endpoint's event types are a JSON list; its secrets sign deliveries, so
# they are kept as they are (a hash could not sign).
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("url", String(2000), nullable=False),
    Column("events", Text, nullable=False),
    Column("secret", String(128), nullable=False),
    Column("previous_secret", String(128), nullable=True),
    Column("previous_secret_until", Float, nullable=False, server_default="0"),
    Column("description", String(255), nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(255), nullable=True),
    Column("failing_since", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    sqlite_autoincrement=True,
)

# Events announced, numbered in the order they were recorded: the order that deliveries about
# one subject keep. ``message_id`` is the ``webhook-id`` a site deduplicates by.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("subject", String(128), nullable=True),
    Column("data", Text, nullable=False),  # JSON
    Column("occurred_at", Float, nullable=False),
    sqlite_autoincrement=True,
)

# One event to one endpoint. The event's subject is copied here so that the claim's order
# rule (no earlier pending delivery about the same subject) reads one index.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column(
        "endpoint_id",
        _id(),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", _id(), ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(128), nullable=True),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("available_at", Float, nullable=False),  # due, or the end of a claimer's lease
    Column("lease_owner", String(64), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", String(512), nullable=True),
    Column("first_failed_at", Float, nullable=True),
    Column("delivered_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("endpoint_id", "event_id"),
    Index("webhook_deliveries_due", "state", "available_at"),
    Index("webhook_deliveries_claim", "endpoint_id", "state", "event_id"),
    Index("webhook_deliveries_order", "endpoint_id", "subject", "state", "event_id"),
    # an event's deliveries: pruning, and the cascade when an event goes
    Index("webhook_deliveries_event", "event_id", "state"),
)
