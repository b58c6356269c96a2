"""TelegramLoginKeys: Telegram's key set fetched once and kept, fetched again for a key it
lacks at most once a minute, and failures told apart, all over a fake transport."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tgpass.errors import ConfigError, InvalidAuthData, TelegramTransient
from tgpass.login_token import JWKS_URL, MIN_FETCH_INTERVAL, TelegramLoginKeys

from .conftest import CLIENT_ID, KIDS, NOW, VECTORS, claims, sign

ALL_KEYS: list[dict[str, Any]] = VECTORS["jwks"]["telegram"]["keys"]


class FakeTelegram:
    """Serves a key set that tests change, counting the requests."""

    def __init__(self, kids: list[str]) -> None:
        self.kids = kids
        self.requests: list[httpx.Request] = []
        self.status = 200
        self.body: bytes | None = None
        self.fail: Exception | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail is not None:
            raise self.fail
        if self.body is not None:
            return httpx.Response(self.status, content=self.body)
        keys = [k for k in ALL_KEYS if k["kid"] in self.kids]
        return httpx.Response(self.status, json={"keys": keys})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram([KIDS["RS256"]])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def keys(telegram: FakeTelegram, clock: Clock) -> Any:
    async with TelegramLoginKeys(
        transport=httpx.MockTransport(telegram.handle), clock=clock
    ) as made:
        yield made


async def test_fetched_once_and_kept(keys: TelegramLoginKeys, telegram: FakeTelegram) -> None:
    token = sign(claims())
    for _ in range(3):
        login = await keys.validate(token, CLIENT_ID, now=NOW)
        assert login.telegram_id == 5000000001
    assert len(telegram.requests) == 1
    assert str(telegram.requests[0].url) == JWKS_URL


async def test_a_new_kid_is_fetched_once(
    keys: TelegramLoginKeys, telegram: FakeTelegram, clock: Clock
) -> None:
    await keys.get()
    telegram.kids.append(KIDS["ES256K"])  # Telegram adds a key
    clock.now += MIN_FETCH_INTERVAL  # a minute after the first fetch
    login = await keys.validate(sign(claims(), "ES256K"), CLIENT_ID, now=NOW)
    assert login.algorithm == "ES256K"
    assert len(telegram.requests) == 2
    await keys.validate(sign(claims(), "ES256K"), CLIENT_ID, now=NOW)
    assert len(telegram.requests) == 2


async def test_unknown_kids_fetch_at_most_once_a_minute(
    keys: TelegramLoginKeys, telegram: FakeTelegram, clock: Clock
) -> None:
    await keys.get()
    made_up = sign(claims(), header={"alg": "RS256", "kid": "made-up"})
    clock.now += MIN_FETCH_INTERVAL
    for _ in range(5):
        with pytest.raises(InvalidAuthData) as caught:
            await keys.validate(made_up, CLIENT_ID, now=NOW)
        assert caught.value.code == "unknown_key"
        clock.now += 5
    assert len(telegram.requests) == 2  # the first fetch, then one for the unknown kid
    clock.now += MIN_FETCH_INTERVAL
    with pytest.raises(InvalidAuthData):
        await keys.validate(made_up, CLIENT_ID, now=NOW)
    assert len(telegram.requests) == 3


async def test_a_new_kid_within_the_minute_waits(
    keys: TelegramLoginKeys, telegram: FakeTelegram, clock: Clock
) -> None:
    await keys.get()
    telegram.kids.append(KIDS["EdDSA"])
    clock.now += MIN_FETCH_INTERVAL - 1
    with pytest.raises(InvalidAuthData) as caught:
        await keys.validate(sign(claims(), "EdDSA"), CLIENT_ID, now=NOW)
    assert caught.value.code == "unknown_key"
    clock.now += 1
    assert (await keys.validate(sign(claims(), "EdDSA"), CLIENT_ID, now=NOW)).algorithm == "EdDSA"


async def test_waiting_tokens_share_one_fetch(
    keys: TelegramLoginKeys, telegram: FakeTelegram
) -> None:
    tokens = [sign(claims(id=5000000001 + n)) for n in range(8)]
    logins = await asyncio.gather(*(keys.validate(t, CLIENT_ID, now=NOW) for t in tokens))
    assert sorted(login.telegram_id for login in logins) == list(range(5000000001, 5000000009))
    assert len(telegram.requests) == 1


async def test_refreshed_after_refresh_after(telegram: FakeTelegram, clock: Clock) -> None:
    async with TelegramLoginKeys(
        transport=httpx.MockTransport(telegram.handle), clock=clock, refresh_after=3600
    ) as keys:
        await keys.get()
        telegram.kids[:] = [KIDS["ES256"]]  # the RSA key withdrawn
        clock.now += 3599
        assert KIDS["RS256"] in await keys.get()
        clock.now += 1
        assert (await keys.get()).kids == {KIDS["ES256"]}
        assert len(telegram.requests) == 2


async def test_a_failed_refresh_keeps_the_keys_held(
    keys: TelegramLoginKeys, telegram: FakeTelegram, clock: Clock
) -> None:
    await keys.get()
    telegram.status = 503
    clock.now += keys.refresh_after
    login = await keys.validate(sign(claims()), CLIENT_ID, now=NOW)
    assert login.telegram_id == 5000000001
    assert len(telegram.requests) == 2


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"status": 500}, "issuer_unreachable"),
        ({"status": 302}, "issuer_unreachable"),
        ({"fail": httpx.ConnectError("refused")}, "issuer_unreachable"),
        ({"fail": httpx.ReadTimeout("slow")}, "issuer_unreachable"),
        ({"body": b"<html>maintenance</html>"}, "issuer_error"),
        ({"body": b'{"keys": "none"}'}, "issuer_error"),
    ],
)
async def test_without_keys_a_failure_is_transient(
    keys: TelegramLoginKeys, telegram: FakeTelegram, fault: dict[str, Any], code: str
) -> None:
    for name, value in fault.items():
        setattr(telegram, name, value)
    with pytest.raises(TelegramTransient) as caught:
        await keys.validate(sign(claims()), CLIENT_ID, now=NOW)
    assert caught.value.code == code
    assert caught.value.method == "jwks"


async def test_a_failed_first_fetch_is_not_retried_within_the_minute(
    keys: TelegramLoginKeys, telegram: FakeTelegram, clock: Clock
) -> None:
    telegram.status = 500
    for _ in range(3):
        with pytest.raises(TelegramTransient):
            await keys.get()
    assert len(telegram.requests) == 1
    telegram.status = 200
    clock.now += MIN_FETCH_INTERVAL
    assert KIDS["RS256"] in await keys.get()


async def test_a_failed_fetch_for_a_new_kid_is_transient(
    keys: TelegramLoginKeys, telegram: FakeTelegram, clock: Clock
) -> None:
    await keys.get()
    telegram.fail = httpx.ConnectError("down")
    clock.now += MIN_FETCH_INTERVAL
    with pytest.raises(TelegramTransient):
        await keys.validate(sign(claims(), "ES256"), CLIENT_ID, now=NOW)


async def test_a_bad_token_fails_before_any_fetch(
    keys: TelegramLoginKeys, telegram: FakeTelegram
) -> None:
    with pytest.raises(InvalidAuthData) as caught:
        await keys.validate("not-a-token", CLIENT_ID, now=NOW)
    assert caught.value.code == "malformed"
    unsigned = "eyJhbGciOiJub25lIn0.e30."  # {"alg":"none"}
    with pytest.raises(InvalidAuthData) as caught:
        await keys.validate(unsigned, CLIENT_ID, now=NOW)
    assert caught.value.code == "unsupported_algorithm"
    assert telegram.requests == []


async def test_its_own_issuer_and_url(telegram: FakeTelegram) -> None:
    async with TelegramLoginKeys(
        "http://127.0.0.1:8081/.well-known/jwks.json",
        issuer="http://127.0.0.1:8081",
        transport=httpx.MockTransport(telegram.handle),
    ) as keys:
        token = sign(claims(iss="http://127.0.0.1:8081"))
        assert (await keys.validate(token, CLIENT_ID, now=NOW)).telegram_id == 5000000001
    assert telegram.requests[0].url.host == "127.0.0.1"


async def test_a_client_of_yours_is_used_and_left_open(telegram: FakeTelegram) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(telegram.handle)) as client:
        async with TelegramLoginKeys(client=client) as keys:
            await keys.get()
        assert not client.is_closed
    assert len(telegram.requests) == 1


def test_a_client_and_a_transport_exclude_each_other() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(200))
    with pytest.raises(ConfigError):
        TelegramLoginKeys(client=httpx.AsyncClient(), transport=transport)
