"""One contract for the OpenID provider's store (clients, keys, codes, grants, tokens,
consents, subjects), on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.store.conftest import BACKENDS, sql_engine
from tgpass.errors import Conflict
from tgpass.service.oidc.provider.store import (
    AuthorizationCode,
    IssuedToken,
    OidcClient,
    OidcStore,
    SigningKey,
    secret_hash,
)
from tgpass.store.memory.oidc import MemoryOidcStore
from tgpass.store.sql import SqlAccountStore
from tgpass.store.sql.oidc import SqlOidcStore

NOW = 1_800_000_000.0
_ids = itertools.count(1)


@dataclass
class Backend:
    store: OidcStore
    new_user: Callable[[], Awaitable[int]]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "memory":

        async def counted() -> int:
            return next(_ids)

        yield Backend(MemoryOidcStore(), counted)
        return
    async for engine in sql_engine(request.param, tmp_path):
        yield Backend(SqlOidcStore(engine), _users_of(SqlAccountStore(engine)))


def _users_of(accounts: SqlAccountStore) -> Callable[[], Awaitable[int]]:
    async def created() -> int:
        return (await accounts.create_user(display_name=f"user {next(_ids)}")).id

    return created


def client(client_id: str = "forum", *, public: bool = False, at: float = NOW) -> OidcClient:
    return OidcClient(
        client_id=client_id,
        name="Forum",
        secret_hash=None if public else secret_hash("s3cret"),
        redirect_uris=("https://forum.example/cb", "https://forum.example/cb2"),
        post_logout_redirect_uris=("https://forum.example/bye",),
        scopes=frozenset({"openid", "profile", "site"}),
        id_token_alg="ES256",
        created_at=at,
    )


def code(
    user_id: int, n: int = 1, *, client_id: str = "forum", nonce: str | None = "n"
) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=secret_hash(f"code-{n}"),
        grant_id=f"grant-{n}",
        client_id=client_id,
        user_id=user_id,
        redirect_uri="https://forum.example/cb",
        scope="openid site",
        nonce=nonce,
        code_challenge="c" * 43,
        code_challenge_method="S256",
        auth_time=NOW - 5,
        expires_at=NOW + 60,
    )


def token(
    user_id: int, name: str, *, kind: str = "refresh", grant: str = "grant-1", expires: float = 600
) -> IssuedToken:
    return IssuedToken(
        token_hash=secret_hash(name),
        kind="refresh" if kind == "refresh" else "access",
        grant_id=grant,
        client_id="forum",
        user_id=user_id,
        scope="openid site",
        issued_at=NOW,
        expires_at=NOW + expires,
    )


async def test_clients_are_kept_whole_and_listed_oldest_first(backend: Backend) -> None:
    store = backend.store
    assert await store.get_client("forum") is None
    await store.add_client(client("wiki", public=True, at=NOW + 1))
    await store.add_client(client("forum"))
    assert await store.get_client("forum") == client("forum")
    assert await store.get_client("wiki") == client("wiki", public=True, at=NOW + 1)
    assert [c.client_id for c in await store.list_clients()] == ["forum", "wiki"]
    with pytest.raises(Conflict):
        await store.add_client(client("forum", at=NOW + 2))


async def test_rotation_retires_the_signers_and_drops_keys_past_their_overlap(
    backend: Backend,
) -> None:
    store = backend.store
    first = [SigningKey("k1", "RS256", '{"kty": "RSA"}', NOW), SigningKey("k2", "ES256", "{}", NOW)]
    await store.add_keys(first)
    assert await store.signing_keys() == first
    second = [SigningKey("k3", "RS256", "{}", NOW + 10)]
    assert await store.rotate_keys(second, now=NOW + 10, drop_after=NOW + 100) == []
    keys = {k.kid: k for k in await store.signing_keys()}
    assert keys["k1"] == replace(first[0], retired_at=NOW + 10, drop_after=NOW + 100)
    assert keys["k2"].drop_after == NOW + 100
    assert keys["k3"] == second[0]
    third = [SigningKey("k4", "RS256", "{}", NOW + 200)]
    assert await store.rotate_keys(third, now=NOW + 200, drop_after=NOW + 300) == ["k1", "k2"]
    keys = {k.kid: k for k in await store.signing_keys()}
    assert set(keys) == {"k3", "k4"}
    assert keys["k3"].retired_at == NOW + 200
    assert keys["k4"].retired_at is None


async def test_a_code_is_used_once_and_only_by_its_client(backend: Backend) -> None:
    store = backend.store
    await store.add_client(client())
    await store.add_client(client("wiki"))
    user = await backend.new_user()
    issued = code(user)
    await store.add_code(issued, now=NOW)
    assert await store.get_code(issued.code_hash) == issued
    assert await store.get_code(secret_hash("other")) is None
    assert not await store.use_code(issued.code_hash, client_id="wiki", now=NOW + 1)
    assert await store.use_code(issued.code_hash, client_id="forum", now=NOW + 1)
    assert not await store.use_code(issued.code_hash, client_id="forum", now=NOW + 2)
    found = await store.get_code(issued.code_hash)
    assert found is not None
    assert found.used_at == NOW + 1
    with pytest.raises(Conflict):
        await store.add_code(issued, now=NOW)


async def test_of_many_racing_for_a_code_one_wins(backend: Backend) -> None:
    store = backend.store
    await store.add_client(client())
    issued = code(await backend.new_user())
    await store.add_code(issued, now=NOW)
    results = await asyncio.gather(
        *(store.use_code(issued.code_hash, client_id="forum", now=NOW) for _ in range(8))
    )
    assert sorted(results) == [False] * 7 + [True]


async def test_a_code_needs_a_known_client(backend: Backend) -> None:
    with pytest.raises(Conflict):
        await backend.store.add_code(code(await backend.new_user(), client_id="nobody"), now=NOW)


async def test_nonces_are_remembered_per_client(backend: Backend) -> None:
    store = backend.store
    await store.add_client(client())
    await store.add_code(code(await backend.new_user(), nonce="abc"), now=NOW)
    assert await store.nonce_seen("forum", "abc")
    assert not await store.nonce_seen("forum", "abd")
    assert not await store.nonce_seen("wiki", "abc")


async def test_a_refresh_token_is_used_once_while_live(backend: Backend) -> None:
    store = backend.store
    await store.add_client(client())
    user = await backend.new_user()
    await store.add_code(code(user), now=NOW)
    tokens = [
        token(user, "r1"),
        token(user, "a1", kind="access"),
        token(user, "r-old", expires=-1),
    ]
    await store.add_tokens(tokens)
    assert await store.get_token(secret_hash("a1")) == tokens[1]
    assert await store.get_token(secret_hash("nothing")) is None
    assert not await store.use_refresh(secret_hash("a1"), client_id="forum", now=NOW)
    assert not await store.use_refresh(secret_hash("r-old"), client_id="forum", now=NOW)
    assert not await store.use_refresh(secret_hash("r1"), client_id="wiki", now=NOW)
    results = await asyncio.gather(
        *(store.use_refresh(secret_hash("r1"), client_id="forum", now=NOW + 1) for _ in range(5))
    )
    assert sorted(results) == [False] * 4 + [True]
    used = await store.get_token(secret_hash("r1"))
    assert used is not None
    assert used.used_at == NOW + 1
    assert not used.live(NOW + 2)
    with pytest.raises(Conflict):
        await store.add_tokens([token(user, "r1")])
    with pytest.raises(Conflict):
        await store.add_tokens([token(user, "r9", grant="no-such-grant")])


async def test_revoking_a_grant_revokes_its_tokens_those_issued_later_too(
    backend: Backend,
) -> None:
    store = backend.store
    await store.add_client(client())
    user = await backend.new_user()
    await store.add_code(code(user, 1), now=NOW)
    await store.add_code(code(user, 2), now=NOW)
    await store.add_tokens([token(user, "a1", kind="access"), token(user, "r1")])
    await store.add_tokens([token(user, "a2", kind="access", grant="grant-2")])
    await store.revoke_grant("grant-1", now=NOW + 5)
    await store.add_tokens([token(user, "a3", kind="access")])  # a race lost to the revocation
    for name in ("a1", "r1", "a3"):
        found = await store.get_token(secret_hash(name))
        assert found is not None
        assert found.revoked_at == NOW + 5
        assert not found.live(NOW)
    assert not await store.use_refresh(secret_hash("r1"), client_id="forum", now=NOW + 6)
    other = await store.get_token(secret_hash("a2"))
    assert other is not None
    assert other.live(NOW)
    await store.revoke_token(secret_hash("a2"), now=NOW + 7)
    other = await store.get_token(secret_hash("a2"))
    assert other is not None
    assert other.revoked_at == NOW + 7


async def test_revoking_a_user_revokes_their_grants_and_no_one_elses(backend: Backend) -> None:
    store = backend.store
    await store.add_client(client())
    await store.add_client(client("wiki"))
    ann, bob = await backend.new_user(), await backend.new_user()
    await store.add_code(code(ann, 1), now=NOW)
    await store.add_code(code(ann, 2, client_id="wiki"), now=NOW)
    await store.add_code(code(ann, 3), now=NOW)  # not yet traded
    await store.add_code(code(bob, 4), now=NOW)
    await store.add_tokens([token(ann, "a1", kind="access"), token(ann, "r1")])
    await store.add_tokens([replace(token(ann, "r2", grant="grant-2"), client_id="wiki")])
    await store.add_tokens([token(bob, "b1", kind="access", grant="grant-4")])
    await store.revoke_user(ann, now=NOW + 5)
    await store.add_tokens([token(ann, "a9", kind="access", grant="grant-3")])  # a race lost
    for name in ("a1", "r1", "r2", "a9"):
        found = await store.get_token(secret_hash(name))
        assert found is not None
        assert found.revoked_at == NOW + 5, name
    assert not await store.use_refresh(secret_hash("r1"), client_id="forum", now=NOW + 6)
    pending = await store.get_code(secret_hash("code-3"))
    assert pending is not None
    assert pending.revoked_at == NOW + 5
    assert pending.used_at is None
    others = await store.get_token(secret_hash("b1"))
    assert others is not None
    assert others.live(NOW + 6)
    bobs = await store.get_code(secret_hash("code-4"))
    assert bobs is not None
    assert bobs.revoked_at is None
    await store.revoke_user(ann, now=NOW + 9)  # again: nothing changes
    found = await store.get_token(secret_hash("a1"))
    assert found is not None
    assert found.revoked_at == NOW + 5


async def test_consent_grows_per_user_and_client(backend: Backend) -> None:
    store = backend.store
    await store.add_client(client())
    await store.add_client(client("wiki"))
    ann, bob = await backend.new_user(), await backend.new_user()
    assert await store.consented(ann, "forum") is None
    await store.add_consent(ann, "forum", frozenset({"openid", "profile"}), now=NOW)
    await store.add_consent(ann, "forum", frozenset({"openid", "site"}), now=NOW + 1)
    await store.add_consent(bob, "wiki", frozenset(), now=NOW)
    assert await store.consented(ann, "forum") == {"openid", "profile", "site"}
    assert await store.consented(ann, "wiki") is None
    assert await store.consented(bob, "wiki") == frozenset()
    with pytest.raises(Conflict):
        await store.add_consent(ann, "nobody", frozenset({"openid"}), now=NOW)


async def test_a_subject_is_made_once_per_user(backend: Backend) -> None:
    store = backend.store
    ann, bob = await backend.new_user(), await backend.new_user()
    assert await store.subject(ann, new="s-ann") == "s-ann"
    assert await store.subject(ann, new="s-other") == "s-ann"
    assert await store.subject(bob, new="s-bob") == "s-bob"
    cid = await backend.new_user()
    results = await asyncio.gather(*(store.subject(cid, new=f"s{i}") for i in range(5)))
    assert len(set(results)) == 1


async def test_purge_forgets_what_expired_and_grants_left_empty(backend: Backend) -> None:
    store = backend.store
    await store.add_client(client())
    user = await backend.new_user()
    await store.add_code(code(user, 1), now=NOW)  # expires at NOW + 60
    await store.add_code(replace(code(user, 2), expires_at=NOW + 10_000), now=NOW)
    await store.add_tokens(
        [token(user, "a1", kind="access", expires=30), token(user, "r1", expires=5_000)]
    )
    assert await store.purge(codes_before=NOW + 61, tokens_before=NOW + 31) == 2
    assert await store.get_code(secret_hash("code-1")) is None
    assert await store.get_token(secret_hash("a1")) is None
    assert await store.get_token(secret_hash("r1")) is not None  # grant-1 still holds a token
    assert await store.purge(codes_before=NOW + 61, tokens_before=NOW + 5_001) == 2  # r1, grant
    assert await store.get_code(secret_hash("code-2")) is not None
