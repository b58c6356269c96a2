"""What a translation must keep of its message: the same placeholders; for the bot's
Telegram HTML, only tags Telegram knows, each closed; for a page's, the message's own tags.
Run on every catalog as it loads, so that a site's override that would break a message is
refused at start, not at the first send or page."""

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


VOID = frozenset({"br", "hr", "img", "input", "wbr"})


class _Tags(HTMLParser):
    """The tags of a text: each as it opens (with its attributes' names), and what is left
    open or closed out of turn."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.names: list[str] = []
        self.seen: list[str] = []
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.append(tag)
        self.seen.append(f"<{' '.join([tag, *sorted(name for name, _ in attrs)])}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes nothing open")
        else:
            self.open.pop()


def _parsed(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def _unclosed(parser: _Tags) -> list[str]:
    return [*parser.problems, *(f"<{tag}> is never closed" for tag in parser.open)]


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would refuse ``text`` as HTML (empty when it would not)."""
    parser = _parsed(text)
    unknown = dict.fromkeys(tag for tag in parser.names if tag not in TELEGRAM_TAGS)
    return [f"<{tag}> is not a tag Telegram knows" for tag in unknown] + _unclosed(parser)


def markup_problems(message: str, translation: str) -> list[str]:
    """Why ``translation`` would not keep a page's markup: its tags (with the names of their
    attributes) are not the message's, or it leaves one open."""
    want, have = _parsed(message), _parsed(translation)
    found = _unclosed(have)
    if sorted(want.seen) != sorted(have.seen):
        found.append(f"has the tags {sorted(have.seen)}, the message {sorted(want.seen)}")
    return found


def problems(
    message: str, translation: str, *, telegram_html: bool, page_html: bool = False
) -> list[str]:
    """Why ``translation`` cannot stand for ``message`` (empty when it can)."""
    found: list[str] = []
    want, have = placeholders(message), placeholders(translation)
    if have - want:
        found.append(f"names {sorted(have - want)}, which the message does not fill in")
    if want - have and not (want - have) <= {"n", "count"}:  # a count may go unsaid ("one")
        found.append(f"leaves out {sorted(want - have)}")
    if telegram_html:
        found += telegram_html_problems(translation)
    if page_html:
        found += markup_problems(message, translation)
    return found
