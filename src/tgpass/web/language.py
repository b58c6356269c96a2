"""The language of whoever makes a request: their own choice (the ``tgpass_lang`` cookie,
set by the switcher and, at sign-in, from the account's saved choice), else the first their
browser accepts (``Accept-Language``) that is offered, else the site's default. No store is
read: a page and an error answer cost the same with or without it."""

from __future__ import annotations

from fastapi import Request, Response

from tgpass.i18n import Translator, for_browser, match

from .deps import services_of

LANGUAGE_COOKIE = "tgpass_lang"
YEAR = 365 * 86400


def language_of(request: Request) -> str:
    catalogs = services_of(request).catalogs
    chosen = match(request.cookies.get(LANGUAGE_COOKIE), catalogs.offered)
    if chosen is not None:
        return chosen
    return for_browser(request.headers.get("accept-language"), catalogs.offered) or (
        catalogs.default
    )


def site_translator(request: Request) -> Translator:
    """The pages' messages in the request's language."""
    return services_of(request).catalogs.site.translator(language_of(request))


def errors_translator(request: Request) -> Translator:
    """The errors' messages in the request's language."""
    return services_of(request).catalogs.errors.translator(language_of(request))


def remember_language(response: Response, language: str, *, secure: bool) -> None:
    """Keeps a person's choice of language in their browser (not a secret: readable by the
    page, sent on every request, including cross-site top-level navigations)."""
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=YEAR, secure=secure, httponly=False, samesite="lax"
    )
