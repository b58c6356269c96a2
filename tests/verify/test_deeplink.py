"""Deep links and one-time link codes."""

from __future__ import annotations

import base64

import pytest

from tgpass import (
    InvalidDeepLink,
    is_valid_payload,
    new_link_code,
    start_link,
    start_payload,
    startapp_link,
)


def test_start_link() -> None:
    assert start_link("tgpass_bot", "abc-_1") == "https://t.me/tgpass_bot?start=abc-_1"
    assert start_link("@tgpass_bot", "x") == "https://t.me/tgpass_bot?start=x"


@pytest.mark.parametrize("payload", ["", "a" * 65, "a b", "a+b", "é", "a=b", "a/b", "a.b"])
def test_payloads_telegram_refuses_are_rejected(payload: str) -> None:
    assert not is_valid_payload(payload)
    with pytest.raises(InvalidDeepLink):
        start_link("tgpass_bot", payload)


@pytest.mark.parametrize("username", ["", "ab", "9bot", "a-bot", "x" * 33, "bad name"])
def test_bad_usernames_are_rejected(username: str) -> None:
    with pytest.raises(InvalidDeepLink):
        start_link(username, "x")


def test_startapp_links() -> None:
    assert startapp_link("tgpass_bot", "p1") == "https://t.me/tgpass_bot?startapp=p1"
    assert startapp_link("tgpass_bot") == "https://t.me/tgpass_bot?startapp"
    assert startapp_link("tgpass_bot", "p", app="shop") == "https://t.me/tgpass_bot/shop?startapp=p"
    assert startapp_link("tgpass_bot", app="shop") == "https://t.me/tgpass_bot/shop"
    with pytest.raises(InvalidDeepLink):
        startapp_link("tgpass_bot", app="a/b")


def test_link_codes_are_random_enough_and_fit_a_payload() -> None:
    codes = {new_link_code() for _ in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        assert is_valid_payload(code)
        assert len(base64.urlsafe_b64decode(code + "=")) * 8 >= 128


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/start abc", "abc"),
        ("/start", ""),
        ("  /start   abc  ", "abc"),
        ("/start@tgpass_bot abc", "abc"),
        ("/start@TGPASS_BOT", ""),
        ("/start@other_bot abc", None),
        ("/starter", None),
        ("hello", None),
        ("/help", None),
        ("/start two words", "two words"),
    ],
)
def test_start_payload(text: str, payload: str | None) -> None:
    assert start_payload(text, "tgpass_bot") == payload
