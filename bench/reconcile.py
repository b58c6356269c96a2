"""The gating reconciler's plan at a site's scale: 10,000 people, 5 chats, 1% of them changed.

Run: python -m bench.reconcile

The chats start settled (everyone eligible is in, or holds a live invite; nobody else is).
Then 1% of the people change: karma, role, or their Telegram link. ``plan`` is run over every
chat, and timed in CPU seconds (``time.process_time``, median of the rounds). Its actions are
counted against the changes that really happened, worked out here independently of ``plan``:
a (person, chat) pair whose place in the chat flipped. The ratio must be 1.0: nothing missed,
nothing done twice, no churn among the 99% who did not change.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from dataclasses import replace

from tgpass.domain.gating import (
    Chat,
    ChatRule,
    Eligible,
    Invitation,
    Member,
    Person,
    Plan,
    eligibility,
    plan,
)

NOW = 1_800_000_000.0
RIGHTS = frozenset({"can_invite_users", "can_restrict_members"})
ROLES = ("member",) * 12 + ("web-master",) * 5 + ("editor",) * 2 + ("staff",)
RULES = {
    "linked only": ChatRule(),
    "karma >= 100": ChatRule(min_karma=100),
    "web-master": ChatRule(roles=frozenset({"web-master"})),
    "karma >= 50, web-master or editor": ChatRule(
        min_karma=50, roles=frozenset({"web-master", "editor"})
    ),
    "karma >= 200, staff or web-master": ChatRule(
        min_karma=200, roles=frozenset({"staff", "web-master"})
    ),
}
TELEGRAM = 2**40  # Telegram ids exceed 2**32
Inputs = tuple[Chat, ChatRule, list[Member], list[Invitation]]


def people(count: int, rng: random.Random) -> list[Person]:
    return [
        Person(
            user_id=n,
            role=rng.choice(ROLES),
            karma=rng.randint(0, 300),
            telegram_id=TELEGRAM + n if rng.random() < 0.85 else None,
        )
        for n in range(count)
    ]


def eligible(person: Person, rule: ChatRule) -> bool:
    return isinstance(eligibility(person, rule), Eligible)


def settled(everyone: list[Person], rng: random.Random) -> list[Inputs]:
    """Each chat as the reconciler leaves it: the eligible are in (2% of them still hold
    their invite), chat admins are there too, some who left are on record."""
    chats = []
    for k, (title, rule) in enumerate(RULES.items()):
        chat = Chat(-100_000 - k, title, "supergroup", RIGHTS)
        members = [Member(1000 + k, "creator"), Member(2000 + k, "administrator")]
        invites = []
        for p in everyone:
            if p.telegram_id is None:
                continue
            if eligible(p, rule):
                if rng.random() < 0.02:
                    name = f"gate-{p.user_id}"
                    invites.append(Invitation(name, p.user_id, p.telegram_id, NOW + 3600, name))
                else:
                    members.append(Member(p.telegram_id, "member"))
            elif rng.random() < 0.05:
                members.append(Member(p.telegram_id, "left"))
        chats.append((chat, rule, members, invites))
    return chats


def changed(everyone: list[Person], share: float, rng: random.Random) -> list[Person]:
    """A copy of ``everyone`` with ``share`` of them changed: karma, role or their link."""
    after = list(everyone)
    for n in rng.sample(range(len(everyone)), round(len(everyone) * share)):
        p = after[n]
        kind = rng.choice(("karma", "role", "link"))
        if kind == "karma":
            after[n] = replace(p, karma=rng.randint(0, 300))
        elif kind == "role":
            after[n] = replace(p, role=rng.choice(ROLES))
        else:
            after[n] = replace(p, telegram_id=None if p.telegram_id else TELEGRAM + p.user_id)
    return after


def real_changes(before: list[Person], after: list[Person], chats: list[Inputs]) -> int:
    """(person, chat) pairs whose place in the chat flipped. Settled, a person was in (or
    invited) exactly when eligible; staff who are in stay in, whatever the rule says."""
    count = 0
    for _, rule, members, _ in chats:
        present = {m.telegram_id for m in members if m.status == "member"}
        for old, new in zip(before, after, strict=True):
            if old == new:
                continue
            was_in = old.telegram_id is not None and eligible(old, rule)
            staying = (
                old.telegram_id in present
                and new.role == "staff"
                and new.telegram_id == old.telegram_id
            )
            should_be_in = (new.telegram_id is not None and eligible(new, rule)) or staying
            count += was_in != should_be_in
    return count


def plan_all(everyone: list[Person], chats: list[Inputs]) -> list[Plan]:
    return [
        plan(chat, rule, everyone, members, invites, NOW) for chat, rule, members, invites in chats
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--share", type=float, default=0.01, help="share of people changed")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    before = people(args.people, rng)
    chats = settled(before, rng)
    quiet = sum(len(p.changes) for p in plan_all(before, chats))
    after = changed(before, args.share, rng)
    expected = real_changes(before, after, chats)
    times = []
    for _ in range(args.rounds):
        start = time.process_time()
        plans = plan_all(after, chats)
        times.append(time.process_time() - start)
    planned = sum(len(p.changes) for p in plans)
    cpu = statistics.median(times)
    ratio = planned / expected if expected else float(planned == 0)
    members = sum(len(m) for _, _, m, _ in chats)
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{args.rounds} rounds, median CPU time (time.process_time).\n"
    )
    print(
        "| people | chats | members on record | changed | plan CPU ms | actions | changes | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(after)} | {len(chats)} | {members} | {round(len(after) * args.share)} "
        f"| {cpu * 1000:.1f} | {planned} | {expected} | {ratio:.2f} |"
    )
    print()
    for p in plans:
        kinds: dict[str, int] = {}
        for change in p.changes:
            kinds[type(change).__name__] = kinds.get(type(change).__name__, 0) + 1
        shown = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "nothing"
        print(f"- chat {p.chat_id}: {shown}")
    ok = quiet == 0 and ratio == 1.0 and cpu < 1.0
    print(
        f"\nSettled chats planned {quiet} actions (target 0); ratio {ratio:.2f} (target 1.00); "
        f"{cpu * 1000:.1f} ms CPU (target < 1000 ms): {'met' if ok else 'MISSED'}"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
