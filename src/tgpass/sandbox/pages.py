"""Pages and scripts a browser loads from the sandbox: the phone, its favicon, drop-in
replacements for Telegram's ``telegram-widget.js`` and ``telegram-web-app.js``, and the page a
person gets at an address where there is nothing."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from importlib.resources import files
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .state import SandboxState

_STATIC = files("tgpass.sandbox") / "static"
_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico">
<title>{title} — tgpass sandbox</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.3rem">{title}</h1>
<p>{text}</p>
<p><a href="/" data-testid="to-phone">Open the phone</a> to act as a Telegram user, or see
<a href="/docs">the sandbox's API</a>.</p>
</body></html>
"""
_ERROR_TEXT = {
    404: "There is nothing at this address of the sandbox Telegram. Was it mistyped?",
    405: "This address of the sandbox Telegram is not for opening in a browser.",
    500: "Something went wrong in the sandbox Telegram; its log tells what.",
}


def _asset(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


def error_page(status: int, *, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A small page for a person's browser, leading to the phone."""
    page = _ERROR_PAGE.format(
        title=f"{status} {HTTPStatus(status).phrase}",
        text=_ERROR_TEXT.get(status, "The sandbox Telegram cannot answer this."),
    )
    return HTMLResponse(page, status_code=status, headers=headers)


def router(state: SandboxState) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/")
    async def phone() -> HTMLResponse:
        return HTMLResponse(_asset("phone.html"))

    @pages.get("/favicon.ico")
    async def favicon() -> Response:
        icon = (_STATIC / "favicon.ico").read_bytes()
        return Response(icon, media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})

    @pages.get("/t.me/{path:path}")
    async def t_me(path: str, request: Request) -> RedirectResponse:
        """``<sandbox>/t.me/<bot>?start=<payload>`` (and ``?startapp=``, ``/+<invite>``, any
        t.me path): the phone opens with the link followed, as a Telegram client does."""
        link = f"https://t.me/{path}"
        if request.url.query:
            link += f"?{request.url.query}"
        return RedirectResponse(f"/?open={quote(link, safe='')}", status_code=302)

    @pages.get("/js/telegram-widget.js")
    async def widget_js() -> Response:
        return Response(_asset("telegram-widget.js"), media_type="text/javascript")

    @pages.get("/js/telegram-web-app.js")
    async def web_app_js() -> Response:
        return Response(_asset("telegram-web-app.js"), media_type="text/javascript")

    return pages
