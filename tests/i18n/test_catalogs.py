"""Loading the catalogs: the offered languages, the default, and a site's own catalogs
over tgpass's (TGPASS_TEXTS_DIR), checked as they load."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from tgpass import i18n
from tgpass.errors import ConfigError
from tgpass.i18n import checks


def _with_placeholder(domain: str) -> str:
    """A message of ``domain`` that fills in a value (the catalogs change, the rule not)."""
    return min(
        m for m in i18n.template_messages(domain) if checks.placeholders(m) and "\x04" not in m
    )


def _fill(message: str) -> str:
    """The placeholders of ``message``, as a translation must keep them."""
    return " ".join(f"{{{name}}}" for name in sorted(checks.placeholders(message)))


def _site_catalog(
    root: Path, language: str, domain: str, messages: dict[str, str], *, mo: bool = False
) -> None:
    catalog = PoCatalog(locale=language.replace("-", "_"))
    for message, translation in messages.items():
        catalog.add(message, translation)
    folder = root / language / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{domain}.{'mo' if mo else 'po'}").open("wb") as out:
        (write_mo if mo else write_po)(out, catalog)


def test_english_and_every_shipped_language_are_offered_english_first() -> None:
    catalogs = i18n.load()
    assert catalogs.offered[0] == "en"
    assert "ru" in catalogs.offered
    assert catalogs.offered == i18n.shipped_languages()
    assert set(catalogs.domains) == set(i18n.DOMAINS)


def test_the_offered_languages_can_be_limited_and_the_default_chosen() -> None:
    catalogs = i18n.load(["ru"], default="ru")
    assert catalogs.offered == ("ru",)
    assert catalogs.bot.translator("en").language == "ru"
    assert catalogs.site.translator("de").language == "ru"


@pytest.mark.parametrize(
    ("languages", "default", "says"),
    [(["en", "xx"], "en", "xx"), (["en"], "ru", "default language ru")],
)
def test_a_language_with_no_catalog_or_a_default_not_offered_is_refused(
    languages: list[str], default: str, says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        i18n.load(languages, default)


def test_a_texts_dir_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        i18n.load(texts_dir=tmp_path / "missing")


@pytest.mark.parametrize("compiled", [False, True])
def test_a_sites_message_wins_and_the_rest_stay_tgpasss(tmp_path: Path, compiled: bool) -> None:
    message = _with_placeholder("errors")
    mine = "Ours: " + _fill(message)
    _site_catalog(tmp_path, "ru", "errors", {message: mine}, mo=compiled)
    shipped = i18n.load().errors.translator("ru")
    ours = i18n.load(texts_dir=tmp_path).errors.translator("ru")
    assert ours.gettext(message) == mine
    others = sorted(i18n.template_messages("errors") - {message})
    assert [ours.gettext(m) for m in others] == [shipped.gettext(m) for m in others]


def test_a_site_may_add_a_language_of_its_own(tmp_path: Path) -> None:
    message = _with_placeholder("errors")
    names = _fill(message)
    _site_catalog(tmp_path, "de", "errors", {message: f"Unser Text {names}"})
    catalogs = i18n.load(texts_dir=tmp_path)
    assert "de" in catalogs.offered
    assert catalogs.errors.translator("de-AT").gettext(message).startswith("Unser Text")
    # what the site did not translate is said in the source language
    assert catalogs.site.translator("de").language == "de"
    some_page_text = min(i18n.template_messages("site") or {"x"})
    assert catalogs.site.translator("de").gettext(some_page_text) == some_page_text


def test_a_translation_that_drops_or_invents_a_placeholder_is_refused_at_start(
    tmp_path: Path,
) -> None:
    message = _with_placeholder("errors")
    _site_catalog(tmp_path, "en", "errors", {message: "No values here, but {invented}"})
    with pytest.raises(ConfigError, match=r"en/LC_MESSAGES.*errors\.po.*invented"):
        i18n.load(texts_dir=tmp_path)


def test_a_bot_message_that_telegram_would_refuse_as_html_is_refused_at_start(
    tmp_path: Path,
) -> None:
    message = min(i18n.template_messages("bot") - {""}, key=len)
    keep = _fill(message)
    _site_catalog(tmp_path, "en", "bot", {message: f"<b>bold, never closed {keep}"})
    with pytest.raises(ConfigError, match="never closed"):
        i18n.load(texts_dir=tmp_path)


def test_a_message_that_is_not_tgpasss_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _site_catalog(tmp_path, "en", "errors", {"A message tgpass never had": "Whatever"})
    with caplog.at_level(logging.WARNING, logger="tgpass.i18n"):
        i18n.load(texts_dir=tmp_path)
    assert "A message tgpass never had" in caplog.text


def test_a_po_file_that_is_not_one_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "errors.po").write_text('msgid "a"\nthis line is no part of a catalog\n')
    with pytest.raises(ConfigError, match="cannot be read"):
        i18n.load(texts_dir=tmp_path)


def test_checks_name_what_a_translation_breaks() -> None:
    assert checks.problems("Hi {name}", "Привет, {name}", telegram_html=True) == []
    assert checks.problems("Hi {name}", "Привет", telegram_html=False) == ["leaves out ['name']"]
    assert checks.problems("%(n)s members", "%(n)s участников", telegram_html=False) == []
    assert checks.problems("<b>{x}</b>", "<b>{x}</i>", telegram_html=True)
    assert checks.problems("{x}", "<div>{x}</div>", telegram_html=True) == [
        "<div> is not a tag Telegram knows"
    ]
    assert checks.problems("{x}", "<div>{x}</div>", telegram_html=False) == []
    # a page's message keeps its own tags and their attributes, and closes them
    link = 'Read <a href="%(url)s">the terms</a>.'
    assert (
        checks.problems(
            link, 'Читайте <a href="%(url)s">условия</a>.', telegram_html=False, page_html=True
        )
        == []
    )
    assert checks.problems(
        link, 'Читайте <a href="%(url)s">условия.', telegram_html=False, page_html=True
    ) == ["<a> is never closed"]
    assert checks.problems(
        link, '<b>Читайте</b> <a href="%(url)s">условия</a>.', telegram_html=False, page_html=True
    )
    assert checks.problems(
        link,
        'Читайте <a title="x" href="%(url)s">условия</a>.',
        telegram_html=False,
        page_html=True,
    )
    assert checks.problems("a<br>b", "а<br>б", telegram_html=False, page_html=True) == []


def test_the_settings_name_the_languages_the_default_and_the_sites_catalogs(
    tmp_path: Path,
) -> None:
    from tgpass.bootstrap import load_catalogs
    from tgpass.settings import Settings

    settings = Settings.from_env({"TGPASS_LANGUAGES": "ru, en", "TGPASS_DEFAULT_LANGUAGE": "ru"})
    catalogs = load_catalogs(settings)
    assert (catalogs.offered, catalogs.default) == (("ru", "en"), "ru")
    with pytest.raises(ConfigError, match="xx"):
        load_catalogs(Settings.from_env({"TGPASS_LANGUAGES": "en,xx"}))
    (tmp_path / "uk" / "LC_MESSAGES").mkdir(parents=True)
    with_site = Settings.from_env({"TGPASS_TEXTS_DIR": str(tmp_path)})
    assert "uk" not in load_catalogs(with_site).offered  # a folder with no catalog in it
    _site_catalog(tmp_path, "uk", "site", {})
    assert "uk" in load_catalogs(with_site).offered
