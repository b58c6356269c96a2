"""Which language a person gets: pure rules over language tags, no catalog in sight.

Tags are compared lower-case with ``-`` (``pt_BR`` and ``pt-BR`` are ``pt-br``); a regional
tag falls back to its language (``pt-br`` → ``pt``), then to the default."""

from __future__ import annotations

from collections.abc import Collection, Iterator

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


def for_telegram(language_code: str | None, offered: Collection[str], default: str) -> str:
    """The language of a Telegram user, from the ``language_code`` their app reports."""
    return match(language_code, offered) or default


def accepted(header: str) -> list[str]:
    """The tags of an ``Accept-Language`` header, most wanted first (``q=0`` and ``*``
    dropped; a ``q`` that is not a number counts as 0; equal ones keep their order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):  # a header is no place for more
        tag, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def for_browser(header: str | None, offered: Collection[str]) -> str | None:
    """The first language a browser accepts that is offered (``pt-br`` served by ``pt``)."""
    for tag in accepted(header or ""):
        found = match(tag, offered)
        if found is not None:
            return found
    return None


def direction(language: str) -> str:
    """``rtl`` for a language written right to left, else ``ltr`` (the HTML ``dir``)."""
    return "rtl" if normal(language).split("-")[0] in RIGHT_TO_LEFT else "ltr"
