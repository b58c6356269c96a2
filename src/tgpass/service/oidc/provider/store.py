"""What the OpenID provider keeps, as records, and the port its stores implement.

Nothing secret is kept in the clear except the signing keys: client secrets, authorization
codes, access and refresh tokens are kept as their SHA-256 (``secret_hash``), which is enough
to recognise one presented later and useless to whoever reads the database.

A *grant* is what one authorization code started: the tokens exchanged for it and every token
refreshed from those carry its id, so that one update revokes them all (a code presented twice,
a rotated refresh token presented again, a revoked refresh token).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["access", "refresh"]


def secret_hash(secret: str) -> str:
    """The SHA-256 of a high-entropy secret (a code, a token, a client secret), in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """Seconds each thing lives. A code lives a minute (RFC 6749 §4.1.2: at most ten); a
    retired signing key stays published for ``id_token`` plus ``key_margin`` (clock skew and
    relying parties' JWKS caches)."""

    code: int = 60
    access_token: int = 3600
    refresh_token: int = 30 * 86400
    id_token: int = 3600
    key_margin: int = 600

    @property
    def key_overlap(self) -> int:
        return self.id_token + self.key_margin


@dataclass(frozen=True, slots=True)
class OidcClient:
    """A registered relying party. ``secret_hash`` is None for a public client (a mobile or
    single-page app: PKCE only)."""

    client_id: str
    name: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    scopes: frozenset[str]
    id_token_alg: str
    created_at: float

    @property
    def public(self) -> bool:
        return self.secret_hash is None


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private JWK (JSON text). The newest key of an algorithm not retired signs; a retired
    key stays published until ``drop_after``, then is gone."""

    kid: str
    alg: str
    private_jwk: str
    created_at: float
    retired_at: float | None = None
    drop_after: float | None = None

    def published(self, now: float) -> bool:
        return self.drop_after is None or self.drop_after > now


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """A code the user gave a client. ``revoked_at`` is set when its grant was revoked: such
    a code buys nothing."""

    code_hash: str
    grant_id: str
    client_id: str
    user_id: int
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: float
    expires_at: float
    used_at: float | None = None
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An access or refresh token. ``revoked_at`` is set when the token, or the whole grant it
    belongs to, was revoked."""

    token_hash: str
    kind: TokenKind
    grant_id: str
    client_id: str
    user_id: int
    scope: str
    issued_at: float
    expires_at: float
    used_at: float | None = None
    revoked_at: float | None = None

    def live(self, now: float) -> bool:
        return self.revoked_at is None and self.used_at is None and self.expires_at > now


class OidcStore(ABC):
    """Clients, signing keys, codes, tokens, consents and subjects of the OpenID provider.

    Every method is a transaction of its own. ``use_code`` and ``use_refresh`` are atomic
    across processes: of two callers racing with one code, exactly one gets True.
    """

    # -- clients ------------------------------------------------------------------------------

    @abstractmethod
    async def add_client(self, client: OidcClient) -> None:
        """Raises Conflict when the client id is taken."""

    @abstractmethod
    async def get_client(self, client_id: str) -> OidcClient | None: ...

    @abstractmethod
    async def list_clients(self) -> list[OidcClient]:
        """Every client, oldest first."""

    # -- signing keys -------------------------------------------------------------------------

    @abstractmethod
    async def signing_keys(self) -> list[SigningKey]:
        """Every stored key, oldest first."""

    @abstractmethod
    async def add_keys(self, keys: Sequence[SigningKey]) -> None: ...

    @abstractmethod
    async def rotate_keys(
        self, new: Sequence[SigningKey], *, now: float, drop_after: float
    ) -> list[str]:
        """In one transaction: retire every key not yet retired (published until
        ``drop_after``), add ``new``, and delete keys whose ``drop_after`` has passed.
        Returns the kids deleted."""

    # -- codes and grants ---------------------------------------------------------------------

    @abstractmethod
    async def add_code(self, code: AuthorizationCode, *, now: float) -> None:
        """Keep the code and open its grant."""

    @abstractmethod
    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        """The code, its ``revoked_at`` set when its grant was revoked."""

    @abstractmethod
    async def use_code(self, code_hash: str, *, client_id: str, now: float) -> bool:
        """Mark the client's code used; True only for the call that did."""

    @abstractmethod
    async def nonce_seen(self, client_id: str, nonce: str) -> bool:
        """Whether a code of this client already carried this nonce."""

    # -- tokens -------------------------------------------------------------------------------

    @abstractmethod
    async def add_tokens(self, tokens: Sequence[IssuedToken]) -> None: ...

    @abstractmethod
    async def get_token(self, token_hash: str) -> IssuedToken | None:
        """The token, its ``revoked_at`` set when it or its grant was revoked."""

    @abstractmethod
    async def use_refresh(self, token_hash: str, *, client_id: str, now: float) -> bool:
        """Mark a live refresh token of the client used; True only for the call that did."""

    @abstractmethod
    async def revoke_token(self, token_hash: str, *, now: float) -> None: ...

    @abstractmethod
    async def revoke_grant(self, grant_id: str, *, now: float) -> None:
        """Revoke every token of the grant, those issued later included."""

    @abstractmethod
    async def revoke_user(self, user_id: int, *, now: float) -> None:
        """Revoke every grant of the user: their codes and tokens, those issued later
        included."""

    # -- consent and subjects -----------------------------------------------------------------

    @abstractmethod
    async def consented(self, user_id: int, client_id: str) -> frozenset[str] | None:
        """The scopes the user has allowed the client; None when never asked."""

    @abstractmethod
    async def add_consent(
        self, user_id: int, client_id: str, scopes: frozenset[str], *, now: float
    ) -> None:
        """Remember these scopes too (added to what was allowed before)."""

    @abstractmethod
    async def subject(self, user_id: int, *, new: str) -> str:
        """The user's subject identifier: the stored one, or ``new``, stored now."""

    # -- housekeeping -------------------------------------------------------------------------

    @abstractmethod
    async def purge(self, *, codes_before: float, tokens_before: float) -> int:
        """Delete codes that expired before ``codes_before``, tokens that expired before
        ``tokens_before``, and grants left with neither; returns how many rows went."""

    async def close(self) -> None:  # noqa: B027 (optional for backends without resources)
        """Release connections."""
