"""Deep links under another base than https://t.me: a sandbox Telegram's ``/t.me``."""

from __future__ import annotations

import pytest

from tgpass import InvalidDeepLink, start_link, startapp_link

SANDBOX = "http://127.0.0.1:8081/t.me"


def test_the_default_base_is_telegram() -> None:
    assert start_link("tgpass_bot", "x") == "https://t.me/tgpass_bot?start=x"
    assert start_link("tgpass_bot", "x", base="https://t.me") == start_link("tgpass_bot", "x")
    assert startapp_link("tgpass_bot", "p") == "https://t.me/tgpass_bot?startapp=p"


@pytest.mark.parametrize(
    "base", [SANDBOX, SANDBOX + "/", "https://telegram.me", "http://[::1]:81/t.me"]
)
def test_start_link_under_a_base(base: str) -> None:
    stem = base.rstrip("/")
    assert start_link("@tgpass_bot", "abc-_1", base=base) == f"{stem}/tgpass_bot?start=abc-_1"


def test_startapp_links_under_a_base() -> None:
    assert startapp_link("tgpass_bot", base=SANDBOX) == f"{SANDBOX}/tgpass_bot?startapp"
    assert startapp_link("tgpass_bot", "p", base=SANDBOX) == f"{SANDBOX}/tgpass_bot?startapp=p"
    assert (
        startapp_link("tgpass_bot", "p", app="shop", base=SANDBOX + "/")
        == f"{SANDBOX}/tgpass_bot/shop?startapp=p"
    )


@pytest.mark.parametrize(
    "base",
    [
        "",
        "t.me",
        "//t.me",
        "ftp://t.me",
        "javascript:alert(1)",
        "https://",
        "https://t.me?x=1",
        "https://t.me/?",
        "https://t.me#top",
        "https://user@t.me",
        "https://t.me/a b",
        " https://t.me",
        "https://t.me\n",
        "https://[::1",
        "https://t.me/\\evil",
    ],
)
def test_bad_bases_are_refused(base: str) -> None:
    with pytest.raises(InvalidDeepLink) as caught:
        start_link("tgpass_bot", "x", base=base)
    assert caught.value.code == "bad_deep_link"
    with pytest.raises(InvalidDeepLink):
        startapp_link("tgpass_bot", "x", base=base)


def test_a_base_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidDeepLink):
        start_link("tgpass_bot", "x", base=None)  # type: ignore[arg-type]
