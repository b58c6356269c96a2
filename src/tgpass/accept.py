"""Content negotiation: a person's browser gets a page for an error and a program JSON; the
languages a browser accepts, most wanted first."""

from __future__ import annotations

from collections.abc import Iterator

_HTML = ("text/html", "text/*")
_JSON = ("application/json", "application/*", "*/*")
MAX_ENTRIES = 32
"""Entries of a header read at most: a real one has a handful."""


def _weighted(header: str) -> Iterator[tuple[str, float]]:
    """Each entry of an Accept-style header with its ``q`` (1 when not given; a ``q`` that is
    not a number counts as 0)."""
    for part in header.split(",")[:MAX_ENTRIES]:
        value, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, given = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(given)
                except ValueError:
                    q = 0.0
        yield value, q


def quality(accept: str, *media: str) -> float:
    """The highest ``q`` that an Accept header gives any of ``media`` (0 when none is named)."""
    return max((q for kind, q in _weighted(accept) if kind.lower() in media), default=0.0)


def prefers_html(accept: str) -> bool:
    """Whether the Accept header ranks HTML at least as high as JSON: a browser's does
    (``text/html,...,*/*;q=0.8``); ``fetch``'s, curl's and httpx's ``*/*`` do not."""
    html = quality(accept, *_HTML)
    return html > 0 and html >= quality(accept, *_JSON)


def languages(accept_language: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (``q=0`` and
    ``*`` dropped; equal ones keep their order)."""
    ranked = [
        (-q, position, tag)
        for position, (tag, q) in enumerate(_weighted(accept_language or ""))
        if tag and tag != "*" and q > 0
    ]
    return [tag for _, _, tag in sorted(ranked)]
