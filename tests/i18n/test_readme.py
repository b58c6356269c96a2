"""The README's "Your own wording" example is a catalog: written to a TGPASS_TEXTS_DIR as the
README shows it, it changes the bot's greeting and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from tgpass import i18n
from tgpass.service.bot import SiteUrls, Texts

README = Path(__file__).resolve().parents[2] / "README.md"


def example_po() -> str:
    section = README.read_text(encoding="utf-8").split("### Your own wording\n", 1)[1]
    [po] = re.findall(r"```po\n(.*?)```", section.split("\n## ", 1)[0], flags=re.DOTALL)
    return po


def test_the_readme_catalog_changes_the_greeting_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "bot.po").write_text(example_po(), encoding="utf-8")
    urls = SiteUrls(account="https://example.org/account", bot_login="https://example.org/auth/bot")
    ours = Texts("Example", urls, i18n.load(texts_dir=tmp_path).bot, "en")
    shipped = Texts("Example", urls, i18n.load().bot, "en")
    assert ours.greeting("Ann", "ann").startswith(
        "Welcome back to Example, Ann! You are <b>ann</b> here.\n\n"
    )
    assert shipped.greeting("Ann", "ann").startswith("Hello, Ann!")
    assert ours.help() == shipped.help()
    assert ours.linked("Ann", "ann") == shipped.linked("Ann", "ann")
    # a Russian reader keeps tgpass's Russian: the site changed only its English
    assert ours.for_telegram("ru").greeting("Ann", "ann") == shipped.for_telegram("ru").greeting(
        "Ann", "ann"
    )
