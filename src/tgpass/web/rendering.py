"""How the site's pages are drawn, for every router that shows one: the templates, a page
with what every page needs (the settings, the bot's username, the language and its
switcher), the error page, and the way to the login page and back.

Every word a page shows goes through the ``site`` catalog (Jinja's i18n extension,
``{% trans %}`` and ``_()``, new-style: escaped, with ``%(name)s`` placeholders). The
gettext callables are installed once and read the translator each render puts in its
context, so that requests in different languages never share one."""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from tgpass.i18n import N_, Translator
from tgpass.service.ports import Messenger

from . import deps
from .deps import services_of
from .language import language_of, own_name, plural_samples
from .static_files import static_url

log = logging.getLogger("tgpass.web")
TRANSLATOR = "translator"
"""The name of the request's ``site`` translator in a template's context."""
ERROR_TITLES = {
    401: N_("Please sign in"),
    403: N_("Not for you"),
    404: N_("Page not found"),
    405: N_("Not here"),
    409: N_("That did not work"),
    413: N_("Too large"),
    422: N_("Something was not right"),
    429: N_("Too many tries"),
    500: N_("Something went wrong"),
    503: N_("Back soon"),
}
OTHER_ERROR = N_("That did not work")


def _translator(context: Context) -> Translator:
    found: Translator = context[TRANSLATOR]
    return found


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _translator(context).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _translator(context).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, where: str, message: str) -> str:
    return _translator(context).pgettext(where, message)


@pass_context
def _npgettext(context: Context, where: str, singular: str, plural: str, n: int) -> str:
    return _translator(context).npgettext(where, singular, plural, n)


templates = Jinja2Templates(directory=str(files("tgpass.web") / "templates"))
templates.env.globals["static_url"] = static_url
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
)


def _here(request: Request, next_query: str | None = None) -> str:
    """The page as asked for, for the switcher to come back to: its path and query, or, for
    a sign-in page, its path and the checked ``next`` alone (``next_query``), so that a
    hostile ``next`` is not carried on."""
    query = request.url.query
    if next_query is not None:
        return deps.local_path(f"{request.url.path}{next_query}")
    return deps.local_path(f"{request.url.path}?{query}" if query else request.url.path)


def page_context(request: Request, next_query: str | None = None) -> dict[str, Any]:
    """What every page needs to speak the request's language and offer the others
    (``next_query``: a sign-in page's checked ``next``, for the switcher's way back)."""
    services = services_of(request)
    language = language_of(request)
    translator = services.catalogs.site.translator(language)
    return {
        TRANSLATOR: translator,
        "language": translator.language,
        "direction": translator.direction,
        "languages": [(code, own_name(code)) for code in services.catalogs.offered],
        "here": _here(request, next_query),
        "plural_samples": plural_samples(translator.language),
        "language_token": deps.form_token(request),
    }


def _respond(request: Request, name: str, context: dict[str, Any], status: int) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    token = context["language_token"]
    if request.cookies.get(deps.CSRF_COOKIE) != token:  # the switcher's form needs it
        deps.set_form_token(response, services_of(request).settings, token)
    return response


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
    return _respond(
        request,
        name,
        {
            "settings": services.settings,
            "bot_username": bot_username,
            **context,
            **page_context(request, context.get("next_query")),
        },
        status,
    )


async def error_page(request: Request, status: int, message: str) -> Response:
    """The page a browser gets for an error (``errors.install``). It reaches no store and
    no Telegram: it must show when they are what failed."""
    settings = services_of(request).settings
    words = page_context(request)
    title = words[TRANSLATOR].gettext(ERROR_TITLES.get(status, OTHER_ERROR))
    context = {"settings": settings, "title": title, "message": message, "status": status}
    return _respond(request, "error.html", {**words, **context, "nav_unknown": True}, status)


def sign_in_url(path: str) -> str:
    """The login page, coming back to ``path`` (a page that needs a signed-in user)."""
    return "/login" if path == deps.DEFAULT_NEXT else f"/login?{urlencode({'next': path})}"
