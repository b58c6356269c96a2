"""The OpenID provider's store in SQL: the same statements on SQLite and PostgreSQL, each call
a transaction of its own.

A code or a refresh token is used by one conditional UPDATE (``WHERE used_at IS NULL``): of
two transactions racing for it, the second finds it used (PostgreSQL re-checks the row once
the first commits; SQLite has one writer)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tgpass.errors import Conflict
from tgpass.service.oidc.provider.store import (
    AuthorizationCode,
    IssuedToken,
    OidcClient,
    OidcStore,
    SigningKey,
)

from .engine import make_engine
from .source import EngineSource
from .tables import (
    oidc_clients,
    oidc_codes,
    oidc_consents,
    oidc_grants,
    oidc_keys,
    oidc_subjects,
    oidc_tokens,
)


def _client(row: Any) -> OidcClient:
    return OidcClient(
        client_id=row.client_id,
        name=row.name,
        secret_hash=row.secret_hash,
        redirect_uris=tuple(json.loads(row.redirect_uris)),
        post_logout_redirect_uris=tuple(json.loads(row.post_logout_redirect_uris)),
        scopes=frozenset(json.loads(row.scopes)),
        id_token_alg=row.id_token_alg,
        created_at=row.created_at,
    )


def _key(row: Any) -> SigningKey:
    return SigningKey(
        kid=row.kid,
        alg=row.alg,
        private_jwk=row.private_jwk,
        created_at=row.created_at,
        retired_at=row.retired_at,
        drop_after=row.drop_after,
    )


def _code(row: Any) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=row.code_hash,
        grant_id=row.grant_id,
        client_id=row.client_id,
        user_id=row.user_id,
        redirect_uri=row.redirect_uri,
        scope=row.scope,
        nonce=row.nonce,
        code_challenge=row.code_challenge,
        code_challenge_method=row.code_challenge_method,
        auth_time=row.auth_time,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.grant_revoked_at,
    )


def _token(row: Any) -> IssuedToken:
    return IssuedToken(
        token_hash=row.token_hash,
        kind=row.kind,
        grant_id=row.grant_id,
        client_id=row.client_id,
        user_id=row.user_id,
        scope=row.scope,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at if row.revoked_at is not None else row.grant_revoked_at,
    )


_TOKEN_COLUMNS = (*oidc_tokens.c, oidc_grants.c.revoked_at.label("grant_revoked_at"))
_TOKENS = oidc_tokens.join(oidc_grants, oidc_tokens.c.grant_id == oidc_grants.c.grant_id)
_CODE_COLUMNS = (*oidc_codes.c, oidc_grants.c.revoked_at.label("grant_revoked_at"))
_CODES = oidc_codes.join(oidc_grants, oidc_codes.c.grant_id == oidc_grants.c.grant_id)


class SqlOidcStore(OidcStore):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._db = EngineSource(engine)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SqlOidcStore:
        return cls(make_engine(url, **options))

    async def close(self) -> None:
        await self._db.close()

    def _dialect_insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    # -- clients ------------------------------------------------------------------------------

    async def add_client(self, client: OidcClient) -> None:
        values = {
            "client_id": client.client_id,
            "name": client.name,
            "secret_hash": client.secret_hash,
            "redirect_uris": json.dumps(list(client.redirect_uris)),
            "post_logout_redirect_uris": json.dumps(list(client.post_logout_redirect_uris)),
            "scopes": json.dumps(sorted(client.scopes)),
            "id_token_alg": client.id_token_alg,
            "created_at": client.created_at,
        }
        try:
            async with self._db.write() as db:
                await db.execute(insert(oidc_clients).values(values))
        except IntegrityError:
            raise Conflict("that client id is taken") from None

    async def get_client(self, client_id: str) -> OidcClient | None:
        async with self._db.read() as db:
            row = (
                await db.execute(select(oidc_clients).where(oidc_clients.c.client_id == client_id))
            ).one_or_none()
        return None if row is None else _client(row)

    async def list_clients(self) -> list[OidcClient]:
        async with self._db.read() as db:
            rows = await db.execute(
                select(oidc_clients).order_by(oidc_clients.c.created_at, oidc_clients.c.client_id)
            )
            return [_client(row) for row in rows]

    # -- signing keys -------------------------------------------------------------------------

    async def signing_keys(self) -> list[SigningKey]:
        async with self._db.read() as db:
            rows = await db.execute(
                select(oidc_keys).order_by(oidc_keys.c.created_at, oidc_keys.c.kid)
            )
            return [_key(row) for row in rows]

    @staticmethod
    def _key_values(key: SigningKey) -> dict[str, Any]:
        return {
            "kid": key.kid,
            "alg": key.alg,
            "private_jwk": key.private_jwk,
            "created_at": key.created_at,
            "retired_at": key.retired_at,
            "drop_after": key.drop_after,
        }

    async def add_keys(self, keys: Sequence[SigningKey]) -> None:
        if not keys:
            return
        async with self._db.write() as db:
            await db.execute(insert(oidc_keys), [self._key_values(k) for k in keys])

    async def rotate_keys(
        self, new: Sequence[SigningKey], *, now: float, drop_after: float
    ) -> list[str]:
        expired = and_(oidc_keys.c.drop_after.is_not(None), oidc_keys.c.drop_after <= now)
        async with self._db.write() as db:
            dropped = sorted(
                (await db.execute(select(oidc_keys.c.kid).where(expired))).scalars().all()
            )
            await db.execute(delete(oidc_keys).where(expired))
            await db.execute(
                update(oidc_keys)
                .where(oidc_keys.c.retired_at.is_(None))
                .values(retired_at=now, drop_after=drop_after)
            )
            if new:
                await db.execute(insert(oidc_keys), [self._key_values(k) for k in new])
        return dropped

    # -- codes and grants ---------------------------------------------------------------------

    async def add_code(self, code: AuthorizationCode, *, now: float) -> None:
        try:
            async with self._db.write() as db:
                await db.execute(
                    insert(oidc_grants).values(
                        grant_id=code.grant_id,
                        client_id=code.client_id,
                        user_id=code.user_id,
                        created_at=now,
                        revoked_at=None,
                    )
                )
                await db.execute(
                    insert(oidc_codes).values(
                        code_hash=code.code_hash,
                        grant_id=code.grant_id,
                        client_id=code.client_id,
                        user_id=code.user_id,
                        redirect_uri=code.redirect_uri,
                        scope=code.scope,
                        nonce=code.nonce,
                        code_challenge=code.code_challenge,
                        code_challenge_method=code.code_challenge_method,
                        auth_time=code.auth_time,
                        expires_at=code.expires_at,
                        used_at=code.used_at,
                    )
                )
        except IntegrityError:
            raise Conflict("that code or grant exists, or its client or user does not") from None

    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        async with self._db.read() as db:
            row = (
                await db.execute(
                    select(*_CODE_COLUMNS)
                    .select_from(_CODES)
                    .where(oidc_codes.c.code_hash == code_hash)
                )
            ).one_or_none()
        return None if row is None else _code(row)

    async def use_code(self, code_hash: str, *, client_id: str, now: float) -> bool:
        async with self._db.write() as db:
            result = await db.execute(
                update(oidc_codes)
                .where(
                    oidc_codes.c.code_hash == code_hash,
                    oidc_codes.c.client_id == client_id,
                    oidc_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
        return bool(result.rowcount == 1)

    async def nonce_seen(self, client_id: str, nonce: str) -> bool:
        async with self._db.read() as db:
            found = await db.execute(
                select(oidc_codes.c.code_hash)
                .where(oidc_codes.c.client_id == client_id, oidc_codes.c.nonce == nonce)
                .limit(1)
            )
            return found.first() is not None

    # -- tokens -------------------------------------------------------------------------------

    async def add_tokens(self, tokens: Sequence[IssuedToken]) -> None:
        if not tokens:
            return
        rows = [
            {
                "token_hash": t.token_hash,
                "kind": t.kind,
                "grant_id": t.grant_id,
                "client_id": t.client_id,
                "user_id": t.user_id,
                "scope": t.scope,
                "issued_at": t.issued_at,
                "expires_at": t.expires_at,
                "used_at": t.used_at,
                "revoked_at": t.revoked_at,
            }
            for t in tokens
        ]
        try:
            async with self._db.write() as db:
                await db.execute(insert(oidc_tokens), rows)
        except IntegrityError:
            raise Conflict("that token exists, or its grant does not") from None

    async def get_token(self, token_hash: str) -> IssuedToken | None:
        async with self._db.read() as db:
            row = (
                await db.execute(
                    select(*_TOKEN_COLUMNS)
                    .select_from(_TOKENS)
                    .where(oidc_tokens.c.token_hash == token_hash)
                )
            ).one_or_none()
        return None if row is None else _token(row)

    async def use_refresh(self, token_hash: str, *, client_id: str, now: float) -> bool:
        live_grant = select(oidc_grants.c.grant_id).where(oidc_grants.c.revoked_at.is_(None))
        async with self._db.write() as db:
            result = await db.execute(
                update(oidc_tokens)
                .where(
                    oidc_tokens.c.token_hash == token_hash,
                    oidc_tokens.c.kind == "refresh",
                    oidc_tokens.c.client_id == client_id,
                    oidc_tokens.c.used_at.is_(None),
                    oidc_tokens.c.revoked_at.is_(None),
                    oidc_tokens.c.expires_at > now,
                    oidc_tokens.c.grant_id.in_(live_grant),
                )
                .values(used_at=now)
            )
        return bool(result.rowcount == 1)

    async def revoke_token(self, token_hash: str, *, now: float) -> None:
        async with self._db.write() as db:
            await db.execute(
                update(oidc_tokens)
                .where(oidc_tokens.c.token_hash == token_hash, oidc_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def revoke_grant(self, grant_id: str, *, now: float) -> None:
        async with self._db.write() as db:
            await db.execute(
                update(oidc_grants)
                .where(oidc_grants.c.grant_id == grant_id, oidc_grants.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def revoke_user(self, user_id: int, *, now: float) -> None:
        async with self._db.write() as db:
            await db.execute(
                update(oidc_grants)
                .where(oidc_grants.c.user_id == user_id, oidc_grants.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    # -- consent and subjects -----------------------------------------------------------------

    async def consented(self, user_id: int, client_id: str) -> frozenset[str] | None:
        async with self._db.read() as db:
            found = await db.execute(
                select(oidc_consents.c.scopes).where(
                    oidc_consents.c.user_id == user_id, oidc_consents.c.client_id == client_id
                )
            )
            scopes = found.scalar_one_or_none()
        return None if scopes is None else frozenset(json.loads(scopes))

    async def add_consent(
        self, user_id: int, client_id: str, scopes: frozenset[str], *, now: float
    ) -> None:
        key = (oidc_consents.c.user_id == user_id, oidc_consents.c.client_id == client_id)
        try:
            async with self._db.write() as db:
                await db.execute(
                    self._dialect_insert(oidc_consents)
                    .values(user_id=user_id, client_id=client_id, scopes="[]", granted_at=now)
                    .on_conflict_do_nothing()
                )
                held = (
                    await db.execute(select(oidc_consents.c.scopes).where(*key).with_for_update())
                ).scalar_one()
                merged = json.dumps(sorted(set(json.loads(held)) | scopes))
                await db.execute(
                    update(oidc_consents).where(*key).values(scopes=merged, granted_at=now)
                )
        except IntegrityError:
            raise Conflict("no such client or user") from None

    async def subject(self, user_id: int, *, new: str) -> str:
        mine = select(oidc_subjects.c.subject).where(oidc_subjects.c.user_id == user_id)
        async with self._db.read() as db:
            known: str | None = (await db.execute(mine)).scalar_one_or_none()
        if known is not None:
            return known
        async with self._db.write() as db:
            await db.execute(
                self._dialect_insert(oidc_subjects)
                .values(user_id=user_id, subject=new)
                .on_conflict_do_nothing(index_elements=[oidc_subjects.c.user_id])
            )
            found: str = (await db.execute(mine)).scalar_one()
        return found

    # -- housekeeping -------------------------------------------------------------------------

    async def purge(self, *, codes_before: float, tokens_before: float) -> int:
        held_by_code = exists().where(oidc_codes.c.grant_id == oidc_grants.c.grant_id)
        held_by_token = exists().where(oidc_tokens.c.grant_id == oidc_grants.c.grant_id)
        async with self._db.write() as db:
            codes = await db.execute(
                delete(oidc_codes).where(oidc_codes.c.expires_at < codes_before)
            )
            tokens = await db.execute(
                delete(oidc_tokens).where(oidc_tokens.c.expires_at < tokens_before)
            )
            grants = await db.execute(delete(oidc_grants).where(~held_by_code, ~held_by_token))
        return int(codes.rowcount + tokens.rowcount + grants.rowcount)
