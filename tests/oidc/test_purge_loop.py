"""The worker purges what the provider no longer needs, every hour: the loop purges at once,
then after each interval, stops when cancelled, and gives up a purge that hangs."""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import pytest

from tgpass.bootstrap import make_worker
from tgpass.service.oidc.provider.service import CODE_RETENTION, PURGE_INTERVAL, OidcProvider
from tgpass.service.oidc.provider.store import secret_hash
from tgpass.store.memory.oidc import MemoryOidcStore

from .conftest import Site, auth_url, exchange


async def issue_tokens(site: Site, client: tuple[str, str | None]) -> str:
    """A sign-in's tokens; the hash of its refresh token."""
    client_id, secret = client
    async with site.browser() as browser:
        await browser.register(f"user{secrets.token_hex(4)}")
        verifier = secrets.token_urlsafe(48)
        back = await browser.code_for(auth_url(client_id, verifier=verifier))
    async with site.client() as http:
        answer = await exchange(http, client_id, secret, back["code"], verifier=verifier)
    assert answer.status_code == 200, answer.text
    return secret_hash(answer.json()["refresh_token"])


async def gone(site: Site, token_hash: str) -> None:
    async with asyncio.timeout(10):
        while await site.provider.store.get_token(token_hash) is not None:
            await asyncio.sleep(0.01)


def past_everything(site: Site) -> float:
    return site.provider.lifetimes.refresh_token + CODE_RETENTION + 1


def test_the_worker_runs_the_purge_loop(site: Site) -> None:
    loops = make_worker(site.services).loops
    assert loops["oidc-purge"] == site.provider.purge_every
    assert "oidc-purge" not in make_worker(site.services, outbox=False).loops
    assert PURGE_INTERVAL == 3600


async def test_the_loop_purges_at_once_and_again_after_each_interval(site: Site) -> None:
    client = await site.add_client()
    first = await issue_tokens(site, client)
    site.clock.offset = past_everything(site)
    running = asyncio.create_task(site.provider.purge_every(0.02))
    try:
        await gone(site, first)
        second = await issue_tokens(site, client)  # issued in the shifted time, live
        await asyncio.sleep(0.1)
        assert await site.provider.store.get_token(second) is not None
        site.clock.offset += past_everything(site)
        await gone(site, second)  # a later pass of the same loop
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert running.cancelled()


class StuckStore(MemoryOidcStore):
    async def purge(self, *, codes_before: float, tokens_before: float) -> int:
        await asyncio.sleep(3600)
        return 0


async def test_a_purge_that_hangs_is_given_up(site: Site) -> None:
    stuck = OidcProvider(StuckStore(), site.services.accounts, issuer=site.issuer)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(TimeoutError):  # the worker logs it and restarts the loop
        await stuck.purge_every(0.01, timeout=0.05)
    assert loop.time() - began < 2
