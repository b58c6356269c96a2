"""The pure rules of event webhooks: bodies, retries, answers, and where a delivery may go."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tgpass.domain.webhooks import (
    EVENT_TYPES,
    RETRY_SCHEDULE,
    Event,
    body_of,
    checked_types,
    checked_url,
    forbidden_address,
    next_attempt_at,
    outcome_of,
    parse_schedule,
)
from tgpass.errors import InvalidInput


def test_a_body_is_type_timestamp_and_data_in_rfc_3339() -> None:
    event = Event("msg_1", "account.linked", 1_700_000_000.5, {"site_user_id": "u-1"})
    assert json.loads(body_of(event)) == {
        "type": "account.linked",
        "timestamp": "2023-11-14T22:13:20.500Z",
        "data": {"site_user_id": "u-1"},
    }


def test_no_types_means_every_type_but_the_test() -> None:
    every = checked_types(None)
    assert "webhook.test" not in every
    assert set(every) | {"webhook.test"} == set(EVENT_TYPES)
    assert checked_types(["chat.paused", "account.linked"]) == ("account.linked", "chat.paused")
    with pytest.raises(InvalidInput, match=r"account\.linkd"):
        checked_types(["account.linkd"])
    with pytest.raises(InvalidInput):
        checked_types([])


def test_the_schedule_setting() -> None:
    assert parse_schedule("0, 5,300") == (0.0, 5.0, 300.0)
    for bad in ("", "soon", "1,-2", "1,nan"):
        with pytest.raises(InvalidInput):
            parse_schedule(bad)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (299, "delivered"),
        (410, "gone"),
        (301, "retry"),
        (400, "retry"),
        (429, "retry"),
        (500, "retry"),
        (None, "retry"),
    ],
)
def test_what_an_answer_means(status: int | None, outcome: str) -> None:
    assert outcome_of(status) == outcome


def test_retries_follow_the_schedule_then_stop() -> None:
    now = 1000.0
    assert next_attempt_at(RETRY_SCHEDULE, 1, now) == now + 5
    assert next_attempt_at(RETRY_SCHEDULE, 2, now) == now + 300
    assert next_attempt_at(RETRY_SCHEDULE, len(RETRY_SCHEDULE), now) is None
    assert next_attempt_at((0, 5), 1, now, retry_after=60) == now + 60  # asked for longer
    assert next_attempt_at((0, 5), 1, now, retry_after=1) == now + 5


@given(st.integers(0, 7), st.floats(0, 1), st.floats(0, 10**6) | st.none())
def test_a_retry_is_never_sooner_than_the_schedule_nor_later_than_a_day_more(
    attempts: int, jitter: float, retry_after: float | None
) -> None:
    at = next_attempt_at(RETRY_SCHEDULE, attempts, 0.0, retry_after=retry_after, jitter=jitter)
    assert at is not None
    assert RETRY_SCHEDULE[attempts] <= at <= RETRY_SCHEDULE[attempts] * 1.1 + 86400


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104 (an address to refuse)
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "100.64.0.1",
    ],
)
def test_private_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "1.1.1.1"])
def test_public_addresses_are_not(address: str) -> None:
    assert not forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",
        "https://127.0.0.1/hook",
        "https://localhost/x",
        "https://user:pw@example.org/",
        "ftp://example.org/",
        "https:///nohost",
        "https://[::1]/x",
        "https://example.org:99999/",
        "https://example.org/\n",
    ],
)
def test_urls_refused_unless_private_ones_are_allowed(url: str) -> None:
    with pytest.raises(InvalidInput):
        checked_url(url, allow_private=False)


def test_allowing_private_urls_allows_http_and_loopback() -> None:
    assert checked_url("http://127.0.0.1:8000/demo/events", allow_private=True)
    assert checked_url("https://example.org/hook", allow_private=False)
    with pytest.raises(InvalidInput):
        checked_url("https://user@127.0.0.1/", allow_private=True)
