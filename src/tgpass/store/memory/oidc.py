"""The OpenID provider's store in memory: the same contract as SQL, for one process and tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from tgpass.errors import Conflict
from tgpass.service.oidc.provider.store import (
    AuthorizationCode,
    IssuedToken,
    OidcClient,
    OidcStore,
    SigningKey,
)


class MemoryOidcStore(OidcStore):
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.clients: dict[str, OidcClient] = {}
        self.keys: dict[str, SigningKey] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.grants: dict[str, float | None] = {}  # grant id -> revoked at
        self.tokens: dict[str, IssuedToken] = {}
        self.consents: dict[tuple[int, str], frozenset[str]] = {}
        self.subjects: dict[int, str] = {}

    async def add_client(self, client: OidcClient) -> None:
        async with self._lock:
            if client.client_id in self.clients:
                raise Conflict("that client id is taken")
            self.clients[client.client_id] = client

    async def get_client(self, client_id: str) -> OidcClient | None:
        return self.clients.get(client_id)

    async def list_clients(self) -> list[OidcClient]:
        return sorted(self.clients.values(), key=lambda c: (c.created_at, c.client_id))

    async def signing_keys(self) -> list[SigningKey]:
        return sorted(self.keys.values(), key=lambda k: (k.created_at, k.kid))

    async def add_keys(self, keys: Sequence[SigningKey]) -> None:
        async with self._lock:
            for key in keys:
                self.keys[key.kid] = key

    async def rotate_keys(
        self, new: Sequence[SigningKey], *, now: float, drop_after: float
    ) -> list[str]:
        async with self._lock:
            dropped = sorted(
                kid
                for kid, key in self.keys.items()
                if key.drop_after is not None and key.drop_after <= now
            )
            for kid in dropped:
                del self.keys[kid]
            for kid, key in self.keys.items():
                if key.retired_at is None:
                    self.keys[kid] = replace(key, retired_at=now, drop_after=drop_after)
            for key in new:
                self.keys[key.kid] = key
            return dropped

    async def add_code(self, code: AuthorizationCode, *, now: float) -> None:
        async with self._lock:
            if code.code_hash in self.codes or code.grant_id in self.grants:
                raise Conflict("that code or grant exists")
            if code.client_id not in self.clients:
                raise Conflict("no such client")
            self.grants[code.grant_id] = None
            self.codes[code.code_hash] = code

    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        code = self.codes.get(code_hash)
        if code is None:
            return None
        return replace(code, revoked_at=self.grants.get(code.grant_id))

    async def use_code(self, code_hash: str, *, client_id: str, now: float) -> bool:
        async with self._lock:
            code = self.codes.get(code_hash)
            if code is None or code.client_id != client_id or code.used_at is not None:
                return False
            self.codes[code_hash] = replace(code, used_at=now)
            return True

    async def nonce_seen(self, client_id: str, nonce: str) -> bool:
        return any(c.client_id == client_id and c.nonce == nonce for c in self.codes.values())

    async def add_tokens(self, tokens: Sequence[IssuedToken]) -> None:
        async with self._lock:
            if any(t.token_hash in self.tokens or t.grant_id not in self.grants for t in tokens):
                raise Conflict("that token exists, or its grant does not")
            for token in tokens:
                self.tokens[token.token_hash] = token

    async def get_token(self, token_hash: str) -> IssuedToken | None:
        token = self.tokens.get(token_hash)
        if token is None:
            return None
        revoked = self.grants.get(token.grant_id)
        if token.revoked_at is None and revoked is not None:
            return replace(token, revoked_at=revoked)
        return token

    async def use_refresh(self, token_hash: str, *, client_id: str, now: float) -> bool:
        async with self._lock:
            token = await self.get_token(token_hash)
            if (
                token is None
                or token.kind != "refresh"
                or token.client_id != client_id
                or not token.live(now)
            ):
                return False
            self.tokens[token_hash] = replace(self.tokens[token_hash], used_at=now)
            return True

    async def revoke_token(self, token_hash: str, *, now: float) -> None:
        async with self._lock:
            token = self.tokens.get(token_hash)
            if token is not None and token.revoked_at is None:
                self.tokens[token_hash] = replace(token, revoked_at=now)

    async def revoke_grant(self, grant_id: str, *, now: float) -> None:
        async with self._lock:
            if grant_id in self.grants and self.grants[grant_id] is None:
                self.grants[grant_id] = now

    async def revoke_user(self, user_id: int, *, now: float) -> None:
        async with self._lock:
            held = {c.grant_id for c in self.codes.values() if c.user_id == user_id} | {
                t.grant_id for t in self.tokens.values() if t.user_id == user_id
            }
            for grant_id in held:
                if grant_id in self.grants and self.grants[grant_id] is None:
                    self.grants[grant_id] = now

    async def consented(self, user_id: int, client_id: str) -> frozenset[str] | None:
        return self.consents.get((user_id, client_id))

    async def add_consent(
        self, user_id: int, client_id: str, scopes: frozenset[str], *, now: float
    ) -> None:
        async with self._lock:
            if client_id not in self.clients:
                raise Conflict("no such client")
            key = (user_id, client_id)
            self.consents[key] = self.consents.get(key, frozenset()) | scopes

    async def subject(self, user_id: int, *, new: str) -> str:
        async with self._lock:
            return self.subjects.setdefault(user_id, new)

    async def purge(self, *, codes_before: float, tokens_before: float) -> int:
        async with self._lock:
            codes = [h for h, c in self.codes.items() if c.expires_at < codes_before]
            tokens = [h for h, t in self.tokens.items() if t.expires_at < tokens_before]
            for code_hash in codes:
                del self.codes[code_hash]
            for token_hash in tokens:
                del self.tokens[token_hash]
            held = {c.grant_id for c in self.codes.values()} | {
                t.grant_id for t in self.tokens.values()
            }
            grants = [g for g in self.grants if g not in held]
            for grant_id in grants:
                del self.grants[grant_id]
            return len(codes) + len(tokens) + len(grants)
