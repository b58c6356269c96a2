"""The catalogs as shipped: complete in every language, true to their messages, compiled as
their sources say, in the wheel, and current with the code (make messages)."""

from __future__ import annotations

import gettext
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tgpass import i18n
from tgpass.i18n import checks
from tgpass.i18n.catalogs import LOCALE

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in i18n.shipped_languages() if language != i18n.SOURCE]
CASES = [(domain, language) for domain in i18n.DOMAINS for language in TRANSLATED]


def _read(path: Path, language: str | None = None) -> PoCatalog:
    with path.open("rb") as source:
        return read_po(source, locale=language)


def _key(message: object) -> tuple[object, object]:
    return (message.context, message.id)  # type: ignore[attr-defined]


def test_russian_is_shipped() -> None:
    assert "ru" in TRANSLATED


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_every_message_has_a_translation_true_to_it(domain: str, language: str) -> None:
    template = _read(LOCALE / f"{domain}.pot")
    po = _read(LOCALE / language / "LC_MESSAGES" / f"{domain}.po", language)
    translated = {_key(m): m for m in po if m.id}
    problems = []
    for message in template:
        if not message.id:
            continue
        found = translated.get(_key(message))
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if found is not None else ()
        strings = strings if isinstance(strings, tuple) else (strings,)
        if found is None or found.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        if len(ids) > 1 and len(strings) != po.num_plurals:
            problems.append(f"{ids[0]!r}: {len(strings)} plural forms, {po.num_plurals} wanted")
        for form, text in enumerate(strings):
            source = ids[min(form, len(ids) - 1)]
            kept = checks.problems(
                source, text, telegram_html=domain == "bot", page_html=domain == "site"
            )
            for problem in kept:
                problems.append(f"{ids[0]!r} → {text!r}: {problem}")
    stale = set(translated) - {_key(m) for m in template if m.id}
    problems += [f"not in the template any more: {key[1]!r}" for key in stale]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("domain", "language"), CASES)
def test_the_compiled_catalog_is_its_source_compiled(domain: str, language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    out = io.BytesIO()
    write_mo(out, _read(folder / f"{domain}.po", language))
    fresh = gettext.GNUTranslations(io.BytesIO(out.getvalue()))
    with (folder / f"{domain}.mo").open("rb") as shipped:
        compiled = gettext.GNUTranslations(shipped)
    assert compiled._catalog == fresh._catalog, "run make compile-messages"  # type: ignore[attr-defined]
    assert compiled.plural(5) == fresh.plural(5)


def test_russian_has_three_plural_forms() -> None:
    po = _read(LOCALE / "ru" / "LC_MESSAGES" / "site.po", "ru")
    assert po.num_plurals == 3
    translator = i18n.load().site.translator("ru")
    forms = {n: translator._translations.plural(n) for n in (1, 2, 5, 11, 21, 22, 25, 111)}  # type: ignore[attr-defined]
    assert forms == {1: 0, 2: 1, 5: 2, 11: 2, 21: 0, 22: 1, 25: 2, 111: 2}


MAKE = shutil.which("make")


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_the_templates_hold_every_message_of_the_code(tmp_path: Path) -> None:
    """`make messages` into a scratch folder finds exactly the messages the shipped templates
    hold: a message added to the code and not extracted fails here."""
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(MAKE), "-s", "messages", f"LOCALE={tmp_path}", f"BIN={bin_dir}", "STAMP="],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    for domain in i18n.DOMAINS:
        fresh = {_key(m) for m in _read(tmp_path / f"{domain}.pot") if m.id}
        shipped = {_key(m) for m in _read(LOCALE / f"{domain}.pot") if m.id}
        assert fresh == shipped, f"{domain}: run make messages ({sorted(fresh ^ shipped)[:5]})"


def test_the_wheel_ships_the_compiled_catalogs(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for domain, language in CASES:
        assert f"tgpass/i18n/locale/{language}/LC_MESSAGES/{domain}.mo" in names
    for domain in i18n.DOMAINS:
        assert f"tgpass/i18n/locale/{domain}.pot" in names
