"""The bot's catalog: every text of texts.py goes through it, every shipped translation is
Telegram HTML the sandbox's parser takes, and Russian says numbers as Russian does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tgpass import i18n
from tgpass.domain import gating
from tgpass.domain.gating import Reason
from tgpass.i18n import checks
from tgpass.sandbox.formatting import apply_parse_mode
from tgpass.service.bot import texts as texts_module
from tgpass.service.bot.texts import COMMANDS, REASONS, SiteUrls, Texts, command_menus

TEXTS_PY = Path(texts_module.__file__)
LOCALE = Path(i18n.__file__).parent / "locale"
MARKERS = {"_", "n_", "N_"}
# not said to anyone: names (reason kinds, commands) and the sign-in link's query
NOT_SAID = re.compile(r"[a-z_]+|\?code=")
SAMPLES = {
    "first_name": "Ян 🚀",
    "display_name": "Ян &amp; Co",  # values arrive escaped
    "site": "Example",
    "account_url": "https://site.example/account",
    "current": "Ann",
    "new": "Bob",
    "title": "Karma 100+",
    "chat_title": "Karma &lt;100&gt;",
    "reason": "karma 5",
    "role": "member",
    "roles": "staff, web-master",
    "karma": 5,
    "min_karma": 100,
    "phone": "+15550002",
}


def _said_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals in ``tree`` that a reader could see and no marker translates."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in MARKERS:
                inside.update(id(arg) for arg in node.args)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                inside.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            inside.add(id(node.value))  # an attribute's docstring
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside
        ):
            text = node.value
            if re.search(r"[^\W\d_]", text) and not NOT_SAID.fullmatch(text):
                found.append((node.lineno, text))
    return found


def test_texts_py_says_nothing_outside_the_catalog() -> None:
    found = _said_literals(ast.parse(TEXTS_PY.read_text(encoding="utf-8")))
    assert found == [], f"texts.py says these outside _(), n_() and N_(): {found}"


def test_the_scan_finds_a_text_said_past_the_catalog() -> None:
    sample = '''
def greeting(self):
    """Docstrings are fine."""
    return self.t._("Hello") + " " + "Goodbye, friend"
'''
    assert _said_literals(ast.parse(sample)) == [(4, "Goodbye, friend")]


def test_every_kind_of_reason_has_words_in_the_bot() -> None:
    assert set(REASONS) == set(gating.REASONS)


def _catalogs() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/bot.po"))


def test_russian_is_shipped() -> None:
    assert LOCALE / "ru" / "LC_MESSAGES" / "bot.po" in _catalogs()


@pytest.mark.parametrize("po", _catalogs(), ids=lambda p: p.parent.parent.name)
def test_every_translation_renders_as_telegram_html(po: Path) -> None:
    with po.open("rb") as source:
        catalog = read_po(source)
    rendered = 0
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            assert form, f"{po}: {message.id!r} is not translated"
            values = {name: SAMPLES.get(name, 21) for name in checks.placeholders(form)}
            text = form.format(**values)
            plain, _ = apply_parse_mode(text, "HTML")  # raises what Telegram would
            assert plain.strip()
            rendered += 1
    assert rendered >= len(catalog) - 1


@pytest.mark.parametrize(
    ("n", "said"),
    [(1, "1 минуту"), (2, "2 минуты"), (5, "5 минут"), (11, "11 минут"), (21, "21 минуту")],
)
def test_russian_says_the_sign_in_links_minutes_in_the_right_form(n: int, said: str) -> None:
    texts = Texts("Example", SiteUrls("https://s/account", "https://s/auth/bot"), i18n.load().bot)
    offer = texts.for_telegram("ru-RU").login_offer(n)
    assert f"действует {said}." in offer
    english = texts.for_telegram("en").login_offer(n)
    assert english.endswith(f"for {n} minute.") if n == 1 else english.endswith(f"{n} minutes.")


def test_a_reason_is_said_in_the_readers_words_and_kept_in_english() -> None:
    texts = Texts("Example", SiteUrls("https://s/account", "https://s/auth/bot"), i18n.load().bot)
    why = Reason.joined([Reason("karma", karma=5, min_karma=50), Reason("not_linked")])
    assert why == "karma 5 < 50; not linked"  # what the audit log keeps
    russian = texts.for_telegram("ru").removed("Клуб", why)
    assert "(карма 5, а нужно не меньше 50; этот аккаунт Telegram не привязан" in russian
    assert "karma 5, below the 50 needed" in texts.for_telegram("en").removed("Club", why)
    assert "(an old reason)" in texts.for_telegram("ru").removed("Клуб", "an old reason")


def test_the_menu_is_set_for_everyone_then_per_other_language() -> None:
    catalogs = i18n.load(["ru", "en"], default="ru")
    texts = Texts("Example", SiteUrls("https://s/account", "https://s/auth/bot"), catalogs.bot)
    menus = dict(command_menus(texts, COMMANDS))
    assert list(menus) == [None, "en"]
    assert menus[None][0] == ("start", "Привязать аккаунт или поздороваться")
    assert menus["en"][0] == ("start", "Link your account, or say hello")
