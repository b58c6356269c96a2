"""Save a world to JSON and load it again (``tgpass sandbox --state FILE``), with what Telegram
Login needs to go on as before: the bots' client secrets and redirect URLs, the ID token
signing keys (private: the file is a secret) and the key that derives ``sub``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .world import (
    Account,
    Bot,
    Chat,
    Dialog,
    InviteLink,
    JoinRequest,
    Member,
    SigningKey,
    Webhook,
    World,
)

FORMAT = 1


def dump(world: World) -> dict[str, Any]:
    def bot(b: Bot) -> dict[str, Any]:
        data = asdict(b)
        data["allowed_updates"] = None if b.allowed_updates is None else sorted(b.allowed_updates)
        return data

    def chat(c: Chat) -> dict[str, Any]:
        data = asdict(c)
        data["members"] = list(data["members"].values())
        data["invite_links"] = list(data["invite_links"].values())
        data["join_requests"] = list(data["join_requests"].values())
        return data

    return {
        "format": FORMAT,
        "counters": {
            "next_user_id": world.next_user_id,
            "next_chat_number": world.next_chat_number,
            "next_callback_id": world.next_callback_id,
        },
        "accounts": [asdict(a) for a in world.accounts.values()],
        "bots": [bot(b) for b in world.bots.values()],
        "chats": [chat(c) for c in world.chats.values()],
        "dialogs": [asdict(d) for d in world.dialogs.values()],
        "oidc": {
            "subject_key": world.oidc_subject_key,
            "keys": [asdict(k) for k in world.oidc_keys],
        },
    }


def load(data: dict[str, Any], clock: Callable[[], float] | None = None) -> World:
    if data.get("format") != FORMAT:
        raise ValueError(f"not a sandbox state file of format {FORMAT}")
    world = World(clock) if clock is not None else World()
    for name, value in data["counters"].items():
        setattr(world, name, int(value))
    for raw in data["accounts"]:
        account = Account(**raw)
        world.accounts[account.id] = account
    for raw in data["bots"]:
        webhook = Webhook(**raw.pop("webhook")) if raw.get("webhook") else None
        allowed = raw.pop("allowed_updates", None)
        if isinstance(raw.get("commands"), list):  # kept before menus were per language
            raw["commands"] = {"default|": raw["commands"]} if raw["commands"] else {}
        bot = Bot(**{k: v for k, v in raw.items() if k != "webhook"}, webhook=webhook)
        bot.allowed_updates = None if allowed is None else frozenset(allowed)
        world.bots[bot.id] = bot
        world.bots_by_token[bot.token] = bot
    for raw in data["chats"]:
        members = [Member(**m) for m in raw.pop("members")]
        links = [InviteLink(**link) for link in raw.pop("invite_links")]
        requests = [JoinRequest(**r) for r in raw.pop("join_requests")]
        chat = Chat(**raw)
        chat.members = {m.user_id: m for m in members}
        chat.invite_links = {link.invite_link: link for link in links}
        chat.join_requests = {r.user_id: r for r in requests}
        world.chats[chat.id] = chat
    for raw in data["dialogs"]:
        dialog = Dialog(**raw)
        world.dialogs[(dialog.bot_id, dialog.user_id)] = dialog
    if "oidc" in data:  # files saved before Telegram Login start with fresh keys
        world.oidc_subject_key = data["oidc"]["subject_key"]
        world.oidc_keys = [SigningKey(**k) for k in data["oidc"]["keys"]]
    return world


def save_file(world: World, path: Path) -> None:
    """Write atomically: a crash mid-write leaves the previous state, not half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(dump(world), out, ensure_ascii=False)
    os.replace(temporary, path)


def load_file(path: Path) -> World:
    return load(json.loads(path.read_text(encoding="utf-8")))
