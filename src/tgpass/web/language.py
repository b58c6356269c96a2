"""The language of whoever makes a request: their own choice (the ``tgpass_lang`` cookie,
set by the switcher and, at sign-in, from the account's saved choice), else the first their
browser accepts (``Accept-Language``) that is offered, else the site's default. No store is
read: a page and an error answer cost the same with or without it."""

from __future__ import annotations

import logging
from functools import cache

from babel import Locale, UnknownLocaleError
from fastapi import Request

from tgpass.accept import languages
from tgpass.errors import TgpassError
from tgpass.i18n import Translator, for_browser, match

from .deps import LANGUAGE_COOKIE, services_of

log = logging.getLogger("tgpass.web")


def language_of(request: Request) -> str:
    catalogs = services_of(request).catalogs
    chosen = match(request.cookies.get(LANGUAGE_COOKIE), catalogs.offered)
    if chosen is not None:
        return chosen
    return for_browser(languages(request.headers.get("accept-language")), catalogs.offered) or (
        catalogs.default
    )


def site_translator(request: Request) -> Translator:
    """The pages' messages in the request's language."""
    return services_of(request).catalogs.site.translator(language_of(request))


def errors_translator(request: Request) -> Translator:
    """The errors' messages in the request's language."""
    return services_of(request).catalogs.errors.translator(language_of(request))


def error_words(request: Request, error: TgpassError) -> str:
    """An error's message in the request's language, its values filled in; in English when
    that cannot be done (no catalogs here, a translation naming a value there is not): an
    error answer must never fail over its words."""
    try:
        return errors_translator(request)._(error.template, **error.values)
    except Exception:  # any failure at all falls back to the English message
        log.warning("no usable translation of the error message %r", error.template[:60])
        return error.message


@cache
def own_name(language: str) -> str:
    """A language as its speakers name it (``ru`` → ``Русский``), for the switcher: whoever
    cannot read the page can still find their own language in it."""
    try:
        name = Locale.parse(language.replace("-", "_")).get_display_name(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return language
    if not name:
        return language
    return name[0].upper() + name[1:]


@cache
def plural_samples(language: str) -> tuple[tuple[str, int], ...]:
    """A number of each plural category of ``language`` (CLDR's: ``one``, ``few``, ``many``,
    ``other``), so that a page can hand its script each form of a message: the script picks
    one with ``Intl.PluralRules``, which follows the same rules."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return (("one", 1), ("other", 2))
    found: dict[str, int] = {}
    for n in range(0, 1001):
        found.setdefault(locale.plural_form(n), n)
    return tuple(found.items())
