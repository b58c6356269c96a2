"""A saved world loads back the same, and the sandbox command serves it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tgpass.sandbox import join_requests, membership
from tgpass.sandbox.persist import dump, load, load_file, save_file
from tgpass.sandbox.server import free_port
from tgpass.sandbox.world import Webhook, World


def busy_world() -> World:
    world = World(clock=lambda: 1_767_225_600)
    bot = world.add_bot("keep_bot", web_app_url="https://app.test/")
    bot.webhook = Webhook(url="https://hook.test/", secret_token="s")
    bot.allowed_updates = frozenset({"message", "chat_member"})
    owner, user = world.add_account("O", username="owner"), world.add_account("Ян 🚀")
    world.start(user.id, bot, "code")
    chat = world.add_chat("club", owner_id=owner.id, username="club")
    membership.add_bot_to_chat(world, bot.id, chat.id, admin_rights={"can_invite_users": True})
    link = membership.create_invite_link(world, bot, chat, creates_join_request=True)
    join_requests.open_invite(world, user.id, link.invite_link)
    world.new_callback_query(bot.id, user.id)
    return world


def test_dump_load_round_trip(tmp_path: Path) -> None:
    world = busy_world()
    first = dump(world)
    assert dump(load(json.loads(json.dumps(first)))) == first
    save_file(world, tmp_path / "state.json")
    again = load_file(tmp_path / "state.json")
    assert dump(again) == first
    new = again.add_account("Next")
    assert new.id not in world.accounts


def test_rejects_other_files() -> None:
    with pytest.raises(ValueError, match="format"):
        load({"format": 99})


def test_sandbox_command_serves_and_saves(tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "world.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "sandbox", "--port", str(port), "--state", str(state)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                users = httpx.get(f"http://127.0.0.1:{port}/sandbox/api/users").json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        assert len(users) == 2
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        created = httpx.post(
            f"http://127.0.0.1:{port}/sandbox/api/users", json={"first_name": "Saved"}
        )
        assert created.status_code == 201
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert "Bot API" in output
    saved = load_file(state)
    assert "Saved" in {a.first_name for a in saved.accounts.values()}
