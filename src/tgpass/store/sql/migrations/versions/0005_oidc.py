"""The OpenID provider: clients, signing keys, grants, codes and tokens (as hashes), consents
and subjects.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _client_id() -> sa.Column[str]:
    return sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("oidc_clients.client_id", ondelete="CASCADE"),
        nullable=False,
    )


def _grant_id() -> sa.Column[str]:
    return sa.Column(
        "grant_id",
        sa.String(32),
        sa.ForeignKey("oidc_grants.grant_id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "oidc_clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("id_token_alg", sa.String(8), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "oidc_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("alg", sa.String(8), nullable=False),
        sa.Column("private_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("retired_at", sa.Float(), nullable=True),
        sa.Column("drop_after", sa.Float(), nullable=True),
    )
    op.create_table(
        "oidc_grants",
        sa.Column("grant_id", sa.String(32), primary_key=True),
        _client_id(),
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
    )
    op.create_index("oidc_grants_user", "oidc_grants", ["user_id"])
    op.create_table(
        "oidc_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        _grant_id(),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("nonce", sa.String(255), nullable=True),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("code_challenge_method", sa.String(8), nullable=True),
        sa.Column("auth_time", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
    )
    op.create_index("oidc_codes_nonce", "oidc_codes", ["client_id", "nonce"])
    op.create_index("oidc_codes_expiry", "oidc_codes", ["expires_at"])
    op.create_table(
        "oidc_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        _grant_id(),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
        sa.Column("revoked_at", sa.Float(), nullable=True),
    )
    op.create_index("oidc_tokens_grant", "oidc_tokens", ["grant_id"])
    op.create_index("oidc_tokens_expiry", "oidc_tokens", ["expires_at"])
    op.create_table(
        "oidc_consents",
        sa.Column("user_id", _id(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        _client_id(),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "client_id"),
    )
    op.create_table(
        "oidc_subjects",
        sa.Column(
            "user_id",
            _id(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("subject", sa.String(64), unique=True, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oidc_subjects")
    op.drop_table("oidc_consents")
    op.drop_index("oidc_tokens_expiry", "oidc_tokens")
    op.drop_index("oidc_tokens_grant", "oidc_tokens")
    op.drop_table("oidc_tokens")
    op.drop_index("oidc_codes_expiry", "oidc_codes")
    op.drop_index("oidc_codes_nonce", "oidc_codes")
    op.drop_table("oidc_codes")
    op.drop_table("oidc_grants")
    op.drop_table("oidc_keys")
    op.drop_table("oidc_clients")
