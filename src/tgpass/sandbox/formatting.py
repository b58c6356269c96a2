"""parse_mode as Telegram applies it: markup turns into plain text plus entities, offsets and
lengths in UTF-16 code units; malformed markup is ``Bad Request: can't parse entities: ...``."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from .errors import BotApiError, bad_request

Json = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cannot_parse(why: str) -> BotApiError:
    return bad_request(f"can't parse entities: {why}")


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[Json] = []
        self.open: list[tuple[str, Json]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _HTML_TAGS.get(tag)
        if tag == "span" and ("class", "tg-spoiler") in attrs:
            kind = "spoiler"
        if kind is None:
            raise cannot_parse(f'Unsupported start tag "{tag}" at byte offset {self.getpos()[1]}')
        entity: Json = {"type": kind, "offset": utf16_len(self.text)}
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise cannot_parse("Can't find end of the URL")
            entity["url"] = href
        self.open.append((tag, entity))
        self.entities.append(entity)  # in start order, so nested equal ranges stay outer-first

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise cannot_parse(f'Can\'t find end tag corresponding to start tag "{tag}"')
        _, entity = self.open.pop()
        entity["length"] = utf16_len(self.text) - entity["offset"]

    def handle_data(self, data: str) -> None:
        self.text += data


def _html(text: str) -> tuple[str, list[Json]]:
    parser = _Html()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise cannot_parse(f'Can\'t find end tag corresponding to start tag "{parser.open[-1][0]}"')
    entities = [e for e in parser.entities if e["length"]]
    return parser.text, sorted(entities, key=lambda e: (e["offset"], -e["length"]))


_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_MARKS = [
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
]


def _markdown_v2(text: str) -> tuple[str, list[Json]]:
    out = ""
    entities: list[Json] = []
    stack: list[tuple[str, Json]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                raise cannot_parse(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out += text[i + 1]
            i += 2
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise cannot_parse("Can't find end of Pre entity")
            body = text[i + 3 : end]
            language, newline, code = body.partition("\n")
            code = code if newline and re.fullmatch(r"[A-Za-z0-9_+-]*", language) else body
            entity: Json = {"type": "pre", "offset": utf16_len(out), "length": utf16_len(code)}
            if newline and language:
                entity["language"] = language
            entities.append(entity)
            out += code
            i = end + 3
            continue
        if char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise cannot_parse("Can't find end of Code entity")
            code = text[i + 1 : end].replace("\\`", "`").replace("\\\\", "\\")
            entities.append({"type": "code", "offset": utf16_len(out), "length": utf16_len(code)})
            out += code
            i = end + 1
            continue
        if char == "[":
            stack.append(("[", {"type": "text_link", "offset": utf16_len(out)}))
            i += 1
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            if not text.startswith("(", i + 1):
                raise cannot_parse("Can't find end of a URL")
            end = text.find(")", i + 2)
            if end < 0:
                raise cannot_parse("Can't find end of a URL")
            _, entity = stack.pop()
            entity["length"] = utf16_len(out) - entity["offset"]
            entity["url"] = text[i + 2 : end]
            entities.append(entity)
            i = end + 1
            continue
        mark = next(((m, kind) for m, kind in _V2_MARKS if text.startswith(m, i)), None)
        if mark is not None:
            symbol, kind = mark
            if stack and stack[-1][0] == symbol:
                _, entity = stack.pop()
                entity["length"] = utf16_len(out) - entity["offset"]
                if entity["length"]:
                    entities.append(entity)
            else:
                stack.append((symbol, {"type": kind, "offset": utf16_len(out)}))
            i += len(symbol)
            continue
        if char in _V2_RESERVED:
            raise cannot_parse(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out += char
        i += 1
    if stack:
        raise cannot_parse(f"Can't find end of {stack[-1][1]['type'].title()} entity")
    return out, sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _markdown(text: str) -> tuple[str, list[Json]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = ""
    entities: list[Json] = []
    pattern = re.compile(
        r"```(.+?)```|`([^`]+)`|\*([^*]+)\*|_([^_]+)_|\[([^\]]+)\]\(([^)]+)\)", re.S
    )
    last = 0
    for match in pattern.finditer(text):
        out += text[last : match.start()]
        pre, code, bold, italic, label, url = match.groups()
        body = next(g for g in (pre, code, bold, italic, label) if g is not None)
        kind = (
            "pre"
            if pre
            else "code"
            if code
            else "bold"
            if bold
            else "italic"
            if italic
            else "text_link"
        )
        entity: Json = {"type": kind, "offset": utf16_len(out), "length": utf16_len(body)}
        if url:
            entity["url"] = url
        entities.append(entity)
        out += body
        last = match.end()
    rest = text[last:]
    for symbol in "*_`[":
        if symbol in rest:
            raise cannot_parse(
                f"Can't find end of the entity starting at byte offset {len(out.encode())}"
            )
    return out + rest, entities


def apply_parse_mode(text: str, parse_mode: str | None) -> tuple[str, list[Json]]:
    """(plain text, entities) that Telegram stores for ``text`` sent with ``parse_mode``."""
    if parse_mode is None:
        return text, []
    if parse_mode == "HTML":
        return _html(text)
    if parse_mode == "MarkdownV2":
        return _markdown_v2(text)
    return _markdown(text)
