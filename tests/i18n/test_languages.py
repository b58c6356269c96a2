"""The rules of choosing a language: a Telegram user's, a browser's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tgpass.accept import languages
from tgpass.i18n import chosen, direction, for_browser, match, normal

OFFERED = ("en", "ru", "pt", "zh-hant")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("RU_ru", "ru"),
        ("pt-br", "pt"),
        ("zh-Hant-TW", "zh-hant"),
        ("zh", None),  # a language is not served by one of its regional variants
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_a_tag_is_served_by_itself_else_its_language(tag: str | None, expected: str | None) -> None:
    assert match(tag, OFFERED) == expected


def test_a_telegram_user_whose_language_is_not_offered_gets_the_default() -> None:
    assert chosen("pt-br", ("en", "ru"), "en") == "en"
    assert chosen("pt-br", ("en", "ru"), "ru") == "ru"
    assert chosen("ru", ("en", "ru"), "en") == "ru"
    assert chosen(None, ("en", "ru"), "ru") == "ru"


def test_accept_language_is_ranked_by_q_then_by_order() -> None:
    header = "de;q=0.9, ru;q=0.8, fr, en;q=0.8, *;q=0.5, es;q=0, it;q=x"
    assert languages(header) == ["fr", "de", "ru", "en"]
    assert languages(None) == languages("") == []


def test_a_browser_gets_the_first_accepted_language_that_is_offered() -> None:
    def chosen(header: str | None) -> str | None:
        return for_browser(languages(header), OFFERED)

    assert chosen("de-DE,de;q=0.9,ru;q=0.8,en;q=0.7") == "ru"
    assert chosen("pt-BR,pt;q=0.9") == "pt"
    assert chosen("de, fr") is None
    assert chosen(None) is None
    assert chosen("ru;q=0") is None


@given(st.text(max_size=300))
def test_any_accept_language_header_gives_an_offered_language_or_none(header: str) -> None:
    assert for_browser(languages(header), OFFERED) in (*OFFERED, None)


def test_right_to_left_languages_say_so() -> None:
    assert direction("fa") == "rtl"
    assert direction("fa-IR") == "rtl"
    assert direction("ar") == "rtl"
    assert direction("ru") == "ltr"
    assert direction("en") == "ltr"
    assert normal(" pt_BR ") == "pt-br"
