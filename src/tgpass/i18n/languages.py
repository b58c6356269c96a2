"""Which language a person gets: pure rules over language tags, no catalog in sight.

Tags are compared lower-case with ``-`` (``pt_BR`` and ``pt-BR`` are ``pt-br``); a regional
tag falls back to its language (``pt-br`` → ``pt``), then to the default."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

SOURCE = "en"
"""The language the messages are written in: it needs no catalog."""
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ps", "ur", "yi", "ckb", "dv", "sd", "ug"})


def normal(tag: str) -> str:
    """A language tag as tgpass compares them: ``pt_BR`` → ``pt-br``."""
    return tag.strip().replace("_", "-").lower()


def _narrowing(tag: str) -> Iterator[str]:
    """``zh-hant-tw``, ``zh-hant``, ``zh``: the tag, then each shorter prefix."""
    parts = normal(tag).split("-")
    for size in range(len(parts), 0, -1):
        yield "-".join(parts[:size])


def match(tag: str | None, offered: Collection[str]) -> str | None:
    """The offered language that serves ``tag`` (itself, else its language), or None."""
    if not tag:
        return None
    return next((candidate for candidate in _narrowing(tag) if candidate in offered), None)


def chosen(tag: str | None, offered: Collection[str], default: str) -> str:
    """The language of someone who names ``tag`` (a Telegram user's ``language_code``, a
    saved choice): the offered one that serves it, else the default."""
    return match(tag, offered) or default


def for_browser(accepted: Iterable[str], offered: Collection[str]) -> str | None:
    """The first language a browser accepts (its tags, most wanted first) that is offered,
    ``pt-br`` served by ``pt``."""
    return next((found for tag in accepted if (found := match(tag, offered))), None)


def direction(language: str) -> str:
    """``rtl`` for a language written right to left, else ``ltr`` (the HTML ``dir``)."""
    return "rtl" if normal(language).split("-")[0] in RIGHT_TO_LEFT else "ltr"
