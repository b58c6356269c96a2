"""The reconciler applied at a site's scale, against the sandbox Telegram with its flood
limits on: 10,000 site users, 5 gated chats, 1% of the users changed.

Run: python -m bench.reconcile_apply   (part of make bench)

The chats start settled (everyone eligible is a member; nobody else is), written straight
into the service's SQLite database and the sandbox's world. Then 1% of the users change
(karma, role, or their Telegram link, as bench.reconcile does) and the service's reconciler
runs one pass over HTTP with the real Bot API client. Counted from the sandbox's side:

- the Bot API actions (createChatInviteLink, banChatMember, revokeChatInviteLink) against the
  changes that really happened (bench.reconcile.real_changes): the ratio must be 1.00;
- every call's time: the busiest second must stay within the bot's 30 calls a second, and
  Telegram must answer no 429.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from tgpass.bootstrap import build
from tgpass.domain.gating import Member, Person
from tgpass.sandbox.server import Sandbox
from tgpass.sandbox.world import Member as WorldMember
from tgpass.settings import Settings
from tgpass.store.sql.tables import gated_members, telegram_accounts, users

from .reconcile import changed, eligible, people, real_changes
from .reconcile import settled as settled_plans

ADMIN = {"can_invite_users": True, "can_restrict_members": True}
ACTIONS = ("createChatInviteLink", "banChatMember", "revokeChatInviteLink")


async def seed(services: Any, sandbox: Sandbox, crowd: list[Person], tg_of: dict[int, int]) -> None:
    """Users and links straight into the database (the bench is not about sign-up)."""
    now = datetime.now(UTC)
    user_rows = [
        {
            "id": p.user_id + 1,
            "display_name": f"U{p.user_id}",
            "role": p.role,
            "karma": p.karma,
            "session_epoch": 0,
            "created_at": now,
            "updated_at": now,
        }
        for p in crowd
    ]
    links = [
        {
            "telegram_id": tg_of[p.user_id],
            "user_id": p.user_id + 1,
            "chat_id": tg_of[p.user_id],
            "first_name": f"U{p.user_id}",
            "bot_blocked": False,
            "linked_at": now,
        }
        for p in crowd
        if p.telegram_id is not None
    ]
    async with services.engine.begin() as db:
        await db.execute(insert(users), user_rows)
        await db.execute(insert(telegram_accounts), links)


async def apply_changes(
    services: Any, before: list[Person], after: list[Person], tg_of: dict[int, int]
) -> None:
    """The 1%: through the service's own use cases, as a site would change them."""
    for old, new in zip(before, after, strict=True):
        if old == new:
            continue
        async with services.uow() as tx:
            user_id = new.user_id + 1
            if (old.karma, old.role) != (new.karma, new.role):
                await tx.accounts.update_user(user_id, karma=new.karma, role=new.role)
            if old.telegram_id is not None and new.telegram_id is None:
                await tx.accounts.unlink_telegram(user_id=user_id)
            elif old.telegram_id is None and new.telegram_id is not None:
                from tgpass.domain.accounts import TelegramProfile

                profile = TelegramProfile(telegram_id=tg_of[new.user_id], first_name="U")
                await tx.accounts.link_telegram(user_id, profile, chat_id=tg_of[new.user_id])
            await services.gating.request(tx, "bench")


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    before = people(args.people, rng)
    plans_before = settled_plans(before, rng)  # the chats and their rules
    after = changed(before, args.share, rng)
    # settled here: every eligible person is a member (none still holding an invite)
    settled = [
        (
            chat,
            rule,
            [
                Member(p.telegram_id, "member")
                for p in before
                if p.telegram_id is not None and eligible(p, rule)
            ],
            [],
        )
        for chat, rule, _, _ in plans_before
    ]
    expected = real_changes(before, after, settled)
    with tempfile.TemporaryDirectory() as tmp:
        async with Sandbox() as sandbox:
            world = sandbox.world
            users_api = sandbox.users
            assert users_api is not None
            bot = await users_api.create_bot("bench_gate_bot")
            bot_id = int(bot["id"])
            tg_of = {p.user_id: world.add_account(f"U{p.user_id}").id for p in before}
            # every bench user has started the bot: their notices can be delivered
            for tg in tg_of.values():
                world.dialog(bot_id, tg)
            crowd = [
                Person(p.user_id, p.role, p.karma, tg_of[p.user_id] if p.telegram_id else None)
                for p in before
            ]
            moved = [
                Person(p.user_id, p.role, p.karma, tg_of[p.user_id] if p.telegram_id else None)
                for p in after
            ]
            owner = world.add_account("Owner").id
            settings = Settings.from_mapping(
                {
                    "database_url": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}",
                    "bot_token": bot["token"],
                    "bot_api_url": sandbox.url,
                }
            )
            services = await build(settings)
            try:
                await seed(services, sandbox, crowd, tg_of)
                members_on_record = 0
                for chat, rule, _, _ in plans_before:
                    made = await users_api.create_chat(chat.title, owner)
                    chat_id = int(made["id"])
                    await users_api.add_bot_to_chat(chat_id, bot_id, ADMIN)
                    async with services.uow() as tx:
                        await services.gating.bot_status(
                            tx,
                            chat_id=chat_id,
                            title=chat.title,
                            chat_type="supergroup",
                            status="administrator",
                            rights=frozenset(ADMIN),
                        )
                    await services.gating.set_rule(chat_id, rule)
                    rows = []
                    for p in crowd:
                        if p.telegram_id is not None and eligible(p, rule):
                            world.chat(chat_id).members[p.telegram_id] = WorldMember(
                                p.telegram_id, "member"
                            )
                            rows.append(
                                {
                                    "chat_id": chat_id,
                                    "telegram_id": p.telegram_id,
                                    "status": "member",
                                    "updated_at": 0.0,
                                    "user_id": p.user_id + 1,
                                }
                            )
                    async with services.engine.begin() as db:
                        await db.execute(insert(gated_members), rows)
                    members_on_record += len(rows)
                quiet = await services.gating.reconcile()
                assert quiet is not None
                quiet_actions = quiet.applied
                await apply_changes(services, crowd, moved, tg_of)

                calls: Counter[str] = Counter()
                seconds: Counter[int] = Counter()
                floods = 0

                def watch(kind: str, obj: Any) -> None:
                    nonlocal floods
                    if kind == "error" and obj.get("error_code") == 429:
                        floods += 1
                    if kind in ACTIONS or kind == "unbanChatMember":
                        calls[kind] += 1
                        seconds[int(time.monotonic())] += 1

                world.observers.add(watch)
                started = time.perf_counter()
                report = await services.gating.reconcile()
                wall = time.perf_counter() - started
                assert report is not None
            finally:
                await services.close()
    actions = sum(calls[m] for m in ACTIONS)
    ratio = actions / expected if expected else float(actions == 0)
    busiest = max(seconds.values(), default=0)
    print(
        f"{args.people} users, 5 chats, {members_on_record} members on record, "
        f"{round(args.people * args.share)} users changed\n"
    )
    print(
        "| settled pass actions | changes | Bot API actions | ratio | unbans "
        "| busiest second (calls) | 429s | pass wall s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {quiet_actions} | {expected} | {actions} | {ratio:.2f} | {calls['unbanChatMember']} "
        f"| {busiest} | {floods} | {wall:.1f} |"
    )
    print("\nby method: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())))
    ok = quiet_actions == 0 and ratio == 1.0 and floods == 0 and busiest <= 30
    print(
        f"\nratio {ratio:.2f} (target 1.00), busiest second {busiest} calls (limit 30), "
        f"{floods} 429s: {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
