"""The translation layer: every text a person reads, in their language, from gettext
catalogs (``locale/``, made with Babel: ``make messages``), under a site's own overrides.

``languages`` holds the pure rules of choosing a language; ``catalogs`` loads and serves
the messages; ``checks`` says what a translation must keep of its message."""

from .catalogs import (
    DOMAINS,
    N_,
    Catalog,
    Catalogs,
    Translator,
    load,
    shipped_languages,
    template_messages,
)
from .languages import SOURCE, chosen, direction, for_browser, match, normal

__all__ = [
    "DOMAINS",
    "N_",
    "SOURCE",
    "Catalog",
    "Catalogs",
    "Translator",
    "chosen",
    "direction",
    "for_browser",
    "load",
    "match",
    "normal",
    "shipped_languages",
    "template_messages",
]
