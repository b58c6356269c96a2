"""The demo keeps what was done in it across a restart (accounts, links, chats, the phone's
dialogs, a link code not yet used) and forgets it all with ``--fresh``; what it cannot keep
(a start that failed, a file it cannot read) it says, and starts fresh."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tgpass.demo import (
    DEMO_BOT,
    DEMO_LOGIN,
    DEMO_STAFF,
    Demo,
    DemoData,
    data_lines,
    open_data,
    port_option,
    rerun,
    running_demo,
)
from tgpass.domain.gating import ChatRule
from tgpass.sandbox.server import free_port

NEWCOMER = {"username": "newcomer", "password": "a-good-password"}


def ports() -> dict[str, int]:
    site = free_port()
    phone = free_port()
    while phone == site:
        phone = free_port()
    return {"site_port": site, "sandbox_port": phone}


def zoya(demo: Demo) -> int:
    return next(a.id for a in demo.world.accounts.values() if a.first_name == "Zoya")


async def link_offer_for_a_newcomer(demo: Demo) -> str:
    """A new site account's link to the bot, opened on the phone but START not yet pressed."""
    async with httpx.AsyncClient(base_url=demo.site) as web:
        registered = await web.post("/api/auth/register", json=NEWCOMER)
        assert registered.status_code == 201, registered.text
        csrf = {"X-CSRF-Token": registered.json()["csrf_token"]}
        url: str = (await web.post("/api/link", headers=csrf)).json()["url"]
    assert demo.sandbox.users is not None
    await demo.sandbox.users.open_link(zoya(demo), url)
    return url


async def newcomer_link(demo: Demo) -> dict[str, object] | None:
    """The newcomer's link status, or None when the newcomer cannot sign in."""
    async with httpx.AsyncClient(base_url=demo.site) as web:
        if (await web.post("/api/auth/login", json=NEWCOMER)).status_code != 200:
            return None
        found: dict[str, object] = (await web.get("/api/link")).json()
        return found


async def until_linked(demo: Demo) -> dict[str, object]:
    for _ in range(100):
        status = await newcomer_link(demo)
        if status and status["linked"]:
            return status
        await asyncio.sleep(0.1)
    raise AssertionError("not linked within 10 s")


async def test_a_restart_keeps_accounts_links_chats_and_an_unused_link_code(
    tmp_path: Path,
) -> None:
    async with running_demo(**ports(), data_dir=tmp_path) as first:
        assert not first.opened.kept
        await link_offer_for_a_newcomer(first)
        karma = first.chats["Karma 100+"]
        await first.services.gating.set_rule(karma, ChatRule(min_karma=50))  # as staff might
        chats, bot_token = first.chats, first.services.settings.bot_token

    async with running_demo(**ports(), data_dir=tmp_path) as second:
        assert second.opened.kept
        assert data_lines(second)[0] == f"kept your data from the last run in {tmp_path}/"
        assert second.chats == chats
        assert second.services.settings.bot_token == bot_token
        views = {view.chat.title: view for view in await second.services.gating.chats()}
        assert sorted(views) == ["Karma 100+", "Web-masters"]  # seeded once
        assert views["Karma 100+"].rule == ChatRule(min_karma=50)  # not seeded over
        bot = second.world.bot_by_username(DEMO_BOT)
        assert bot.web_app_url == f"{second.site}/miniapp"  # the site's port of this run
        assert bot.oidc_redirect_uris == [f"{second.site}/auth/telegram/oidc/callback"]
        for username, password in (DEMO_LOGIN, DEMO_STAFF):
            async with httpx.AsyncClient(base_url=second.site) as web:
                login = {"username": username, "password": password}
                assert (await web.post("/api/auth/login", json=login)).status_code == 200

        # the phone still has the link it opened before the restart: START links now
        assert second.sandbox.users is not None
        await second.sandbox.users.start(zoya(second), DEMO_BOT)
        linked = await until_linked(second)
        assert linked["telegram"]["first_name"] == "Zoya"  # type: ignore[index]

    async with running_demo(**ports(), data_dir=tmp_path) as third:
        assert third.opened.kept
        assert (await until_linked(third))["linked"]

    async with running_demo(**ports(), data_dir=tmp_path, fresh=True) as fresh:
        assert not fresh.opened.kept
        assert data_lines(fresh)[0] == "started fresh, as asked (--fresh)"
        assert await newcomer_link(fresh) is None
        views = await fresh.services.gating.chats()
        assert {view.rule for view in views} == {
            ChatRule(min_karma=100),
            ChatRule(roles=frozenset({"web-master"})),
        }


def test_a_first_run_starts_fresh_and_says_where_it_keeps_data(tmp_path: Path) -> None:
    opened = open_data(DemoData(tmp_path / ".demo"))
    assert (opened.kept, opened.why_fresh) == (False, "")


def test_a_start_that_failed_leaves_nothing_to_keep(tmp_path: Path) -> None:
    data = DemoData(tmp_path)
    data.database.write_text("a database with no world beside it")
    (tmp_path / "notes.txt").write_text("not the demo's")
    opened = open_data(data)
    assert not opened.kept
    assert opened.why_fresh == ": the last run stopped before it had started"
    assert not data.database.exists()
    assert (tmp_path / "notes.txt").exists()  # only the demo's own files go


def test_an_unreadable_world_starts_fresh_and_says_why(tmp_path: Path) -> None:
    data = DemoData(tmp_path)
    data.database.write_text("")
    data.world_file.write_text("{not json")
    opened = open_data(data)
    assert not opened.kept
    assert opened.why_fresh.startswith(": the last run's data could not be read (")
    assert not data.world_file.exists()


def test_the_secret_key_is_kept(tmp_path: Path) -> None:
    data = DemoData(tmp_path / ".demo")
    key = data.secret_key()
    assert data.secret_key() == key
    assert (data.secret_file.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize(
    ("via", "fresh", "port"),
    [
        ("", "tgpass demo --fresh", "--port"),
        ("make", "make demo DEMO_ARGS=--fresh", '--port (make demo DEMO_ARGS="--port 8001")'),
    ],
)
def test_messages_name_options_the_way_the_demo_was_run(
    via: str, fresh: str, port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TGPASS_DEMO_VIA", via)
    assert rerun("--fresh") == fresh
    assert port_option("--port", 8001) == port
