"""parse_mode: markup becomes plain text and entities, as Telegram stores a message."""

from __future__ import annotations

import pytest

from tgpass.sandbox.errors import BotApiError
from tgpass.sandbox.formatting import apply_parse_mode

from .conftest import Scene


def test_html() -> None:
    text, entities = apply_parse_mode(
        'Hi, <b>Зоя 🚀</b>! <a href="https://t.me/x">link</a> &amp; <i><u>both</u></i>', "HTML"
    )
    assert text == "Hi, Зоя 🚀! link & both"
    assert entities == [
        {"type": "bold", "offset": 4, "length": 6},  # 🚀 counts as two UTF-16 units
        {"type": "text_link", "offset": 12, "url": "https://t.me/x", "length": 4},
        {"type": "italic", "offset": 19, "length": 4},
        {"type": "underline", "offset": 19, "length": 4},
    ]


@pytest.mark.parametrize("bad", ["<b>open", "<b>x</i>", "<blink>x</blink>", "<a>x</a>"])
def test_html_errors(bad: str) -> None:
    with pytest.raises(BotApiError, match="can't parse entities"):
        apply_parse_mode(bad, "HTML")


def test_markdown_v2() -> None:
    text, entities = apply_parse_mode(
        r"*bold* _it_ __u__ ~s~ ||sp|| `c` [t](https://a.b) 1\.5", "MarkdownV2"
    )
    assert text == "bold it u s sp c t 1.5"
    assert [e["type"] for e in entities] == [
        "bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link",
    ]  # fmt: skip
    assert entities[-1]["url"] == "https://a.b"


@pytest.mark.parametrize("bad", ["1.5", "*open", "a-b", "[x](y", "```x"])
def test_markdown_v2_errors(bad: str) -> None:
    with pytest.raises(BotApiError, match="can't parse entities"):
        apply_parse_mode(bad, "MarkdownV2")


def test_legacy_markdown() -> None:
    text, entities = apply_parse_mode("*b* _i_ `c` [t](https://x.y) 1.5-2", "Markdown")
    assert text == "b i c t 1.5-2"
    assert [e["type"] for e in entities] == ["bold", "italic", "code", "text_link"]


async def test_the_bot_library_sees_entities(scene: Scene) -> None:
    await scene.act("start", {"bot": "shop_bot"})
    sent = await scene.bot.send_message(scene.user_id, "Hello, <b>Зоя</b>", parse_mode="HTML")
    assert sent.text == "Hello, Зоя"
    assert sent.entities[0].type == "bold"
    assert sent.parse_entity(sent.entities[0]) == "Зоя"
