"""Content negotiation for error answers: a person's browser gets a page, a program JSON."""

from __future__ import annotations

_HTML = ("text/html", "text/*")
_JSON = ("application/json", "application/*", "*/*")


def quality(accept: str, *media: str) -> float:
    """The highest ``q`` that an Accept header gives any of ``media`` (0 when none is named;
    a ``q`` that is not a number counts as 0)."""
    best = 0.0
    for part in accept.split(","):
        kind, *params = (piece.strip() for piece in part.split(";"))
        if kind.lower() not in media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def prefers_html(accept: str) -> bool:
    """Whether the Accept header ranks HTML at least as high as JSON: a browser's does
    (``text/html,...,*/*;q=0.8``); ``fetch``'s, curl's and httpx's ``*/*`` do not."""
    html = quality(accept, *_HTML)
    return html > 0 and html >= quality(accept, *_JSON)
