"""The messages in every offered language: gettext catalogs shipped in the package
(``locale/<language>/LC_MESSAGES/<domain>.mo``), under a site's own (``TGPASS_TEXTS_DIR``,
the same layout, ``.po`` or ``.mo``), which win message by message.

Three domains: ``bot`` (what the bot says, Telegram HTML), ``site`` (the pages) and
``errors`` (the errors' messages, in pages and in the site API's JSON)."""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from tgpass.errors import ConfigError

from . import checks
from .languages import SOURCE, chosen, direction, normal

log = logging.getLogger("tgpass.i18n")
DOMAINS = ("bot", "site", "errors")
LOCALE = Path(str(files("tgpass.i18n") / "locale"))


def N_(message: str) -> str:
    """Marks a message for the catalog where it cannot be translated yet (a module constant);
    whoever shows it translates it then."""
    return message


class Translator:
    """One domain's messages in one language. ``_`` and ``n_`` fill in ``{placeholders}``
    (the caller escapes what it fills in); ``gettext``/``ngettext`` are for templates."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self.direction = direction(language)
        self._translations = translations

    def _(self, message: str, /, **values: Any) -> str:
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """The form for ``n`` (Russian has three), with ``{n}`` filled in."""
        return self._translations.ngettext(singular, plural, n).format(n=n, **values)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._translations.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._translations.npgettext(context, singular, plural, n)


@dataclass(frozen=True)
class Catalog:
    """One domain in every offered language."""

    domain: str
    default: str
    translators: Mapping[str, Translator]

    def translator(self, language: str | None) -> Translator:
        """The messages in ``language`` if it is offered (``pt-br`` served by ``pt``), else in
        the default language."""
        return self.translators[chosen(language, self.translators, self.default)]


@dataclass(frozen=True)
class Catalogs:
    """Every domain, over the same offered languages."""

    offered: tuple[str, ...]
    default: str
    domains: Mapping[str, Catalog] = field(repr=False)

    @property
    def bot(self) -> Catalog:
        return self.domains["bot"]

    @property
    def site(self) -> Catalog:
        return self.domains["site"]

    @property
    def errors(self) -> Catalog:
        return self.domains["errors"]


def shipped_languages() -> tuple[str, ...]:
    """English, then every language the package has catalogs for."""
    found = sorted(entry.name for entry in LOCALE.iterdir() if (entry / "LC_MESSAGES").is_dir())
    return (SOURCE, *(language for language in found if language != SOURCE))


def _languages_in(texts_dir: Path) -> list[str]:
    """The languages a site has at least one catalog of."""
    return sorted(
        normal(entry.name)
        for entry in texts_dir.iterdir()
        if any(
            (entry / "LC_MESSAGES" / f"{d}.{kind}").is_file()
            for d in DOMAINS
            for kind in ("po", "mo")
        )
    )


def load(
    languages: Sequence[str] = (), default: str = SOURCE, texts_dir: str | Path | None = None
) -> Catalogs:
    """The catalogs of ``languages`` (all there are when empty): the package's, under the
    site's in ``texts_dir``. A language with no catalog, a default not offered, or a site's
    message that would break its original is a ``ConfigError``."""
    overrides = Path(texts_dir) if texts_dir else None
    if overrides is not None and not overrides.is_dir():
        raise ConfigError(f"TGPASS_TEXTS_DIR {overrides} is not a directory")
    available = [*shipped_languages(), *(_languages_in(overrides) if overrides else [])]
    offered = tuple(dict.fromkeys(normal(tag) for tag in languages or available))
    missing = [language for language in offered if language not in available]
    if missing:
        raise ConfigError(
            f"no catalog for the language(s) {', '.join(missing)}: there are {', '.join(available)}"
        )
    default = normal(default)
    if default not in offered:
        raise ConfigError(f"the default language {default} is not among {', '.join(offered)}")
    domains = {domain: _catalog(domain, offered, default, overrides) for domain in DOMAINS}
    return Catalogs(offered=offered, default=default, domains=domains)


def _catalog(domain: str, offered: Sequence[str], default: str, overrides: Path | None) -> Catalog:
    translators = {}
    for language in offered:
        translations = _shipped(domain, language)
        site = _site_catalog(domain, language, overrides) if overrides else None
        if site is not None:
            site.add_fallback(translations)
            translations = site
        translators[language] = Translator(language, translations)
    return Catalog(domain=domain, default=default, translators=translators)


def _shipped(domain: str, language: str) -> gettext.NullTranslations:
    path = LOCALE / language / "LC_MESSAGES" / f"{domain}.mo"
    if not path.is_file():
        return gettext.NullTranslations()  # English: the messages themselves
    with path.open("rb") as mo:
        return gettext.GNUTranslations(mo)


def _site_catalog(domain: str, language: str, root: Path) -> gettext.GNUTranslations | None:
    """A site's catalog of ``domain`` in ``language``, each message checked against its
    original; None when the site has none."""
    folder = next(
        (entry / "LC_MESSAGES" for entry in root.iterdir() if normal(entry.name) == language),
        None,
    )
    if folder is None:
        return None
    po, mo = folder / f"{domain}.po", folder / f"{domain}.mo"
    if po.is_file():
        data = _compiled(po, language)
    elif mo.is_file():
        data = mo.read_bytes()
    else:
        return None
    translations = gettext.GNUTranslations(io.BytesIO(data))
    _check(
        translations,
        domain,
        f"{folder.parent.name}/{folder.name}/{po.name if po.is_file() else mo.name}",
    )
    return translations


def _compiled(po: Path, language: str) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        try:
            catalog = read_po(source, locale=language.replace("-", "_"), abort_invalid=True)
        except Exception as bad:  # babel's parse errors share no base class worth naming
            raise ConfigError(f"{po} cannot be read as a gettext catalog: {bad}") from None
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def template_messages(domain: str) -> set[str]:
    """The message ids of ``domain`` as the package's ``.pot`` lists them (plural ids as the
    singular; with a context, ``context\\x04id``, as gettext keys them)."""
    from babel.messages.pofile import read_po

    with (LOCALE / f"{domain}.pot").open("rb") as pot:
        template = read_po(pot)
    keys = set()
    for message in template:
        if message.id:
            singular = str(message.id[0] if isinstance(message.id, tuple) else message.id)
            keys.add(f"{message.context}\x04{singular}" if message.context else singular)
    return keys


def _check(translations: gettext.GNUTranslations, domain: str, where: str) -> None:
    known = template_messages(domain)
    catalog: dict[Any, str] = translations._catalog  # type: ignore[attr-defined]
    for key, text in catalog.items():
        message = key[0] if isinstance(key, tuple) else key
        if not message:
            continue  # the header
        if message not in known:
            log.warning("%s: %r is no message of tgpass's (renamed or gone?)", where, message[:60])
            continue
        found = checks.problems(
            message, text, telegram_html=domain == "bot", page_html=domain == "site"
        )
        if found:
            raise ConfigError(f"{where}: the translation of {message[:60]!r} {'; '.join(found)}")
