"""Pages and scripts a browser loads from the sandbox: the phone, and drop-in replacements
for Telegram's ``telegram-widget.js`` and ``telegram-web-app.js``."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from .app import SandboxState

_STATIC = files("tgpass.sandbox") / "static"


def _asset(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


def router(state: SandboxState) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/")
    async def phone() -> HTMLResponse:
        return HTMLResponse(_asset("phone.html"))

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
