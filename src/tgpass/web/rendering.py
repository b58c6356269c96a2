"""How the site's pages are drawn, for every router that shows one: the templates, a page
with what every page needs (the settings, the bot's username), the error page, and the way
to the login page and back."""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tgpass.service.ports import Messenger

from . import deps
from .deps import services_of
from .static_files import static_url

log = logging.getLogger("tgpass.web")
templates = Jinja2Templates(directory=str(files("tgpass.web") / "templates"))
templates.env.globals["static_url"] = static_url
ERROR_TITLES = {
    401: "Please sign in",
    403: "Not for you",
    404: "Page not found",
    405: "Not here",
    409: "That did not work",
    413: "Too large",
    422: "Something was not right",
    429: "Too many tries",
    500: "Something went wrong",
    503: "Back soon",
}


async def _bot_username(telegram: Messenger) -> str:
    try:
        return await telegram.bot_username()
    except Exception:  # Telegram unreachable: the page still works without the widget
        log.warning("could not learn the bot's username from the Bot API")
        return ""


async def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the site's templates. Called outside dependency injection too (by error
    handlers): what it needs comes from the app's container."""
    services = services_of(request)
    bot_username = await _bot_username(services.telegram)
    return templates.TemplateResponse(
        request,
        name,
        {"settings": services.settings, "bot_username": bot_username, **context},
        status_code=status,
    )


async def error_page(request: Request, status: int, message: str) -> Response:
    """The page a browser gets for an error (``errors.install``). It reaches no store and
    no Telegram: it must show when they are what failed."""
    settings = services_of(request).settings
    title = ERROR_TITLES.get(status, "That did not work")
    context = {"settings": settings, "title": title, "message": message, "status": status}
    return templates.TemplateResponse(
        request, "error.html", {**context, "nav_unknown": True}, status_code=status
    )


def sign_in_url(path: str) -> str:
    """The login page, coming back to ``path`` (a page that needs a signed-in user)."""
    return "/login" if path == deps.DEFAULT_NEXT else f"/login?{urlencode({'next': path})}"
