"""What a translation must keep of its message: the same placeholders, and (for the bot's
Telegram HTML) only tags Telegram knows, each closed. Run on every catalog as it loads, so a
site's override that would break a message is refused at start, not at the first send."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BRACES = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PERCENT = re.compile(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)[sdrf]")
TELEGRAM_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
     "span", "tg-spoiler", "tg-emoji", "blockquote", "tg-time"}
)  # fmt: skip


def placeholders(text: str) -> set[str]:
    """The names a message fills in: ``{name}`` (Python code) and ``%(name)s`` (templates)."""
    return set(_BRACES.findall(text)) | set(_PERCENT.findall(text))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"<{tag}> is not a tag Telegram knows")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes nothing open")
        else:
            self.open.pop()


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would refuse ``text`` as HTML (empty when it would not)."""
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser.problems + [f"<{tag}> is never closed" for tag in parser.open]


def problems(message: str, translation: str, *, telegram_html: bool) -> list[str]:
    """Why ``translation`` cannot stand for ``message`` (empty when it can)."""
    found: list[str] = []
    want, have = placeholders(message), placeholders(translation)
    if have - want:
        found.append(f"names {sorted(have - want)}, which the message does not fill in")
    if want - have and not (want - have) <= {"n", "count"}:  # a count may go unsaid ("one")
        found.append(f"leaves out {sorted(want - have)}")
    if telegram_html:
        found += telegram_html_problems(translation)
    return found
