"""Gated chats end to end: the service, the sandbox Telegram over HTTP, the real Bot API
client. Eligible → invited → joins; leaked links declined; removals that do not ban; relinks;
chat admins kept; a demoted bot pauses the chat; faults survived without double actions."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

import pytest
from telegram.error import NetworkError

from tests.harness.gated import ADMIN
from tests.harness.stack import API_KEY, Stack
from tgpass.domain.gating import ChatRule
from tgpass.sandbox import membership
from tgpass.sandbox.faults import Faults
from tgpass.verify import bot_id_from_token

SITE_KEY = {"Authorization": f"Bearer {API_KEY}"}


class Club:
    """A gated supergroup and the site users who may (or may not) be in it."""

    def __init__(self, stack: Stack, chat_id: int, owner: int) -> None:
        self.stack = stack
        self.chat_id = chat_id
        self.owner = owner
        self.patient = True  # settle waits until the outbox is empty
        self.calls: Counter[str] = Counter()  # Bot API calls that succeeded, by method
        stack.sandbox.world.observers.add(lambda kind, _: self.calls.update([kind]))

    @classmethod
    async def open(
        cls, stack: Stack, rule: ChatRule | None = None, *, title: str = "Karma 100+"
    ) -> Club:
        owner = await stack.new_tg_user("Owner")
        chat = await stack.users.create_chat(title, owner)
        await stack.users.add_bot_to_chat(chat["id"], bot_id_from_token(stack.bot_token), ADMIN)
        await stack.pump()  # my_chat_member: the chat becomes known
        club = cls(stack, int(chat["id"]), owner)
        await stack.services.gating.set_rule(club.chat_id, rule or ChatRule(min_karma=100))
        return club

    async def member(self, site_id: str, *, karma: int, role: str = "member") -> int:
        """A site user linked to a new Telegram account; the Telegram id."""
        await self.site_user(site_id, karma=karma, role=role)
        telegram_id = await self.stack.new_tg_user(site_id.title())
        await self.link(site_id, telegram_id)
        return telegram_id

    async def site_user(self, site_id: str, *, karma: int, role: str = "member") -> None:
        body = {"display_name": site_id.title(), "role": role, "karma": karma}
        answer = await self.stack.web.put(f"/api/site/users/{site_id}", json=body, headers=SITE_KEY)
        assert answer.status_code in {200, 201}, answer.text

    async def link(self, site_id: str, telegram_id: int) -> None:
        offer = await self.stack.web.post(f"/api/site/users/{site_id}/link", headers=SITE_KEY)
        code = offer.json()["url"].rsplit("start=", 1)[1]
        await self.stack.users.start(telegram_id, self.stack.bot_username, code)
        await self.settle()

    async def settle(self) -> None:
        """What a running worker does: read updates, reconcile, answer join requests, send."""
        stack = self.stack
        for _ in range(4):
            await self.pump()
            await stack.services.gating.reconcile()
            await stack.services.gating.answer_join_requests()
            if self.patient:
                await stack.drain()
            else:  # under faults: one round of sends, as a busy worker would
                await stack.services.sender.send_due()
        await self.pump()

    async def pump(self) -> None:
        with contextlib.suppress(NetworkError):  # a 5xx to getUpdates: the poller goes on
            await self.stack.pump()

    async def invite_of(self, telegram_id: int) -> str:
        """The URL of the newest invite button the bot sent this user."""
        for message in reversed(await self.stack.bot_says(telegram_id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("url", "").startswith(("https://t.me/+", "http")):
                        return str(button["url"])
        raise AssertionError(f"no invite for {telegram_id}")

    async def status(self, telegram_id: int) -> str:
        """Their status in the chat at Telegram; "left" for someone never there."""
        member = self.stack.sandbox.world.chat(self.chat_id).members.get(telegram_id)
        return "left" if member is None else member.status

    async def audit(self, **query: Any) -> list[str]:
        entries = await self.stack.services.gating.audit_log(chat_id=self.chat_id, **query)
        return [e.action for e in reversed(entries)]

    def admin_calls(self, method: str) -> int:
        return self.calls[method]


async def test_an_eligible_user_is_invited_joins_and_is_a_member(stack: Stack) -> None:
    club = await Club.open(stack)
    ann = await club.member("ann", karma=150)
    link = await club.invite_of(ann)
    assert "yours alone" in (await stack.bot_says(ann))[-1]["text"]
    await stack.users.open_invite(ann, link)
    await club.settle()
    assert await club.status(ann) == "member"
    assert await club.audit() == ["bot", "rule", "invite", "approve"], await club.audit()
    # the used link is revoked; a pass with nothing to change calls Telegram for nothing
    assert stack.sandbox.world.chat(club.chat_id).invite_links[link].is_revoked
    await club.settle()
    assert club.admin_calls("createChatInviteLink") == 1
    assert club.admin_calls("approveChatJoinRequest") == 1
    assert club.admin_calls("banChatMember") == 0


async def test_a_leaked_link_admits_nobody_else(stack: Stack) -> None:
    club = await Club.open(stack)
    ann = await club.member("ann", karma=150)
    link = await club.invite_of(ann)
    eve = await stack.new_tg_user("Eve")  # not linked at all
    await stack.users.open_invite(eve, link)
    bob = await club.member("bob", karma=10)  # linked, not eligible
    await stack.users.open_invite(bob, link)
    await club.settle()
    assert await club.status(eve) == "left"
    assert await club.status(bob) == "left"
    assert "declined" in (await stack.bot_says(eve))[-1]["text"]
    assert "karma 10, below the 100 needed" in (await stack.bot_says(bob))[-1]["text"]
    # the link still works for the one it was made for
    await stack.users.open_invite(ann, link)
    await club.settle()
    assert await club.status(ann) == "member"
    assert (await club.audit()).count("decline") == 2


async def test_a_karma_drop_removes_without_a_ban_and_a_rise_invites_again(stack: Stack) -> None:
    club = await Club.open(stack)
    ann = await club.member("ann", karma=150)
    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    assert await club.status(ann) == "member"
    await club.site_user("ann", karma=20)
    await club.settle()
    assert await club.status(ann) == "left"  # out, and not banned
    said = (await stack.bot_says(ann))[-1]["text"]
    assert "removed" in said and "karma 20" in said and "not banned" in said
    await club.site_user("ann", karma=120)
    await club.settle()
    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    assert await club.status(ann) == "member"
    assert await club.audit() == ["bot", "rule", "invite", "approve", "remove", "invite", "approve"]


async def test_unlink_and_relink_removes_the_old_telegram_account(stack: Stack) -> None:
    club = await Club.open(stack)
    old = await club.member("ann", karma=150)
    await stack.users.open_invite(old, await club.invite_of(old))
    await club.settle()
    assert await club.status(old) == "member"
    answer = await stack.web.delete("/api/site/users/ann/telegram", headers=SITE_KEY)
    assert answer.status_code == 200
    await club.settle()
    assert await club.status(old) == "left"
    new = await stack.new_tg_user("Ann again")
    await club.link("ann", new)
    await stack.users.open_invite(new, await club.invite_of(new))
    await club.settle()
    assert await club.status(new) == "member"
    assert await club.status(old) == "left"


async def test_a_user_deleted_on_the_site_is_removed(stack: Stack) -> None:
    club = await Club.open(stack, ChatRule(roles=frozenset({"web-master"})))
    ann = await club.member("ann", karma=0, role="web-master")
    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    assert await club.status(ann) == "member"
    assert (await stack.web.delete("/api/site/users/ann", headers=SITE_KEY)).status_code == 200
    assert (await stack.web.get("/api/site/users/ann", headers=SITE_KEY)).status_code == 404
    await club.settle()
    assert await club.status(ann) == "left"
    assert (await club.audit())[-1] == "remove"


async def test_a_chat_admin_who_does_not_qualify_stays(stack: Stack) -> None:
    club = await Club.open(stack)
    mod = await club.member("mod", karma=5)
    await stack.users.add_member(club.chat_id, mod)
    world = stack.sandbox.world
    membership.set_status(
        world, world.chat(club.chat_id), mod, "administrator", actor_id=club.owner
    )
    stranger = await stack.new_tg_user("Stranger")
    await stack.users.add_member(club.chat_id, stranger)
    await club.settle()
    assert await club.status(mod) == "administrator"
    assert await club.status(stranger) == "left"  # managed: not linked, removed
    assert await club.status(club.owner) == "creator"


async def test_a_demoted_bot_pauses_the_chat_and_promoting_it_resumes(stack: Stack) -> None:
    club = await Club.open(stack)
    bot_id = bot_id_from_token(stack.bot_token)
    await stack.users.add_bot_to_chat(club.chat_id, bot_id, None)  # a plain member now
    await club.settle()
    view = await stack.services.gating.chat(club.chat_id)
    assert view.blocked is not None and "not an administrator" in view.blocked
    ann = await club.member("ann", karma=150)
    assert club.admin_calls("createChatInviteLink") == 0  # nothing tried, nothing crashed
    await stack.users.add_bot_to_chat(club.chat_id, bot_id, ADMIN)
    await club.settle()
    assert (await stack.services.gating.chat(club.chat_id)).blocked is None
    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    assert await club.status(ann) == "member"


async def test_a_refusal_pauses_the_chat_instead_of_retrying_in_a_loop(stack: Stack) -> None:
    club = await Club.open(stack)
    bot_id = bot_id_from_token(stack.bot_token)
    # Rights taken away with no update reaching the service (as if it was lost)
    stack.sandbox.world.chat(club.chat_id).members[bot_id].rights = {}
    await club.member("ann", karma=150)
    view = await stack.services.gating.chat(club.chat_id)
    assert view.blocked is not None and view.blocked.startswith("paused: Telegram refused")
    calls = club.admin_calls("createChatInviteLink")
    await club.settle()
    assert club.admin_calls("createChatInviteLink") == calls  # not retried
    assert "paused" in await club.audit()


async def test_a_basic_group_is_refused_and_followed_when_upgraded(stack: Stack) -> None:
    owner = await stack.new_tg_user("Owner")
    group = await stack.users.create_chat("Old group", owner, type="group")
    await stack.users.add_bot_to_chat(group["id"], bot_id_from_token(stack.bot_token), ADMIN)
    await stack.pump()
    view = await stack.services.gating.set_rule(int(group["id"]), ChatRule(min_karma=1))
    assert view.blocked is not None and "basic group" in view.blocked
    upgraded = await stack.users.upgrade_group(group["id"], owner)
    await stack.pump()
    await stack.pump()
    new_id = (
        int(upgraded["migrate_to_chat_id"])
        if "migrate_to_chat_id" in upgraded
        else int(upgraded["id"])
    )
    moved = await stack.services.gating.chat(new_id)
    assert moved.chat.type == "supergroup"
    assert moved.rule == ChatRule(min_karma=1)
    with pytest.raises(Exception, match="no chat"):
        await stack.services.gating.chat(int(group["id"]))


async def test_faults_are_survived_without_double_invites(stack: Stack) -> None:
    club = await Club.open(stack)
    faults = stack.sandbox.state.faults

    async def after_the_faults(minutes: int) -> None:
        # failed sends and answers are tried again later (seconds to minutes): that time passes
        faults.clear()
        later = lambda: time.time() + 60 * minutes  # noqa: E731
        stack.services.gating.effects.clock = later
        stack.services.sender.clock = later
        club.patient = True
        await club.settle()

    faults.set(Faults(error_rate=0.5))
    club.patient = False
    people = [await club.member(f"user{n}", karma=150) for n in range(6)]
    for _ in range(10):
        await club.settle()
    await after_the_faults(10)
    for person in people:
        await stack.users.open_invite(person, await club.invite_of(person))
    faults.set(Faults(error_rate=0.5))
    club.patient = False
    for _ in range(10):
        await club.settle()
    await after_the_faults(20)
    assert [await club.status(p) for p in people] == ["member"] * 6
    invites = [a for a in await club.audit() if a == "invite"]
    assert len(invites) == 6  # one each: failures were retried, never repeated


async def test_a_429_window_pauses_and_then_the_work_is_done(stack: Stack) -> None:
    club = await Club.open(stack)
    ann = await club.member("ann", karma=150)
    faults = stack.sandbox.state.faults
    faults.set(Faults(flood_until=stack.sandbox.world.now() + 1.5))
    await club.site_user("ann", karma=151)
    report = await stack.services.gating.reconcile()
    assert report is not None
    faults.clear()
    await club.settle()
    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    assert await club.status(ann) == "member"


async def test_staff_hand_the_bot_a_new_group_with_newchat(stack: Stack) -> None:
    club_probe = Club(stack, 0, 0)
    boss = await club_probe.member("boss", karma=0, role="staff")
    await stack.users.send(boss, stack.bot_username, "/newchat")
    await club_probe.settle()
    keyboard = (await stack.users.dialog(boss, stack.bot_username))["reply_keyboard"]["keyboard"]
    request = keyboard[0][0]["request_chat"]
    assert request["chat_is_created"] is True
    assert request["bot_administrator_rights"]["can_restrict_members"] is True
    await stack.users.share_chat(
        boss, stack.bot_username, request["request_id"], new_title="Web-masters"
    )
    await club_probe.settle()
    chats = await stack.services.gating.chats()
    assert [c.chat.title for c in chats] == ["Web-masters"]
    assert chats[0].blocked == "no rule: not gated"  # gateable once it has a rule
    assert "Web-masters" in (await stack.bot_says(boss))[-1]["text"]
    # anyone else is told it is for staff
    joe = await club_probe.member("joe", karma=500)
    await stack.users.send(joe, stack.bot_username, "/newchat")
    await club_probe.settle()
    assert "staff" in (await stack.bot_says(joe))[-1]["text"]


async def test_a_guard_bot_answers_join_request_queries(stack: Stack) -> None:
    club = await Club.open(stack)
    bot_id = bot_id_from_token(stack.bot_token)
    stack.sandbox.world.bots[bot_id].join_request_queries = True
    await stack.users.set_guard_bot(club.chat_id, bot_id)
    ann = await club.member("ann", karma=150)
    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    assert await club.status(ann) == "member"
    assert club.admin_calls("answerChatJoinRequestQuery") == 1
    assert club.admin_calls("approveChatJoinRequest") == 0


async def test_a_chat_without_a_rule_leaves_join_requests_to_its_admins(stack: Stack) -> None:
    club = await Club.open(stack)
    await stack.services.gating.set_rule(club.chat_id, None)
    link = await stack.services.telegram.create_invite(
        club.chat_id, name="owners-link", expire_date=int(time.time()) + 600
    )
    eve = await stack.new_tg_user("Eve")
    await stack.users.open_invite(eve, link)
    await club.settle()
    assert eve in stack.sandbox.world.chat(club.chat_id).join_requests  # still theirs to answer
    assert club.admin_calls("declineChatJoinRequest") == 0
    assert club.admin_calls("approveChatJoinRequest") == 0


async def test_the_worker_loop_acts_on_a_change_by_itself(stack: Stack) -> None:
    club = await Club.open(stack)
    ann = await club.member("ann", karma=50)
    loops = [
        asyncio.create_task(stack.services.gating.run()),
        asyncio.create_task(stack.services.sender.run()),
    ]
    try:
        await club.site_user("ann", karma=150)  # nothing else: the loop wakes on the change
        for _ in range(100):
            if any("yours alone" in m["text"] for m in await stack.bot_says(ann)):
                break
            await asyncio.sleep(0.05)
        await stack.users.open_invite(ann, await club.invite_of(ann))
        for _ in range(100):
            await club.pump()
            if await club.status(ann) == "member":
                break
            await asyncio.sleep(0.05)
        assert await club.status(ann) == "member"
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


async def test_a_user_who_blocked_the_bot_is_still_removed_and_nothing_waits(stack: Stack) -> None:
    club = await Club.open(stack)
    ann = await club.member("ann", karma=150)
    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    await stack.users.block(ann, stack.bot_username)
    await club.site_user("ann", karma=10)
    await club.settle()  # drains: the notice to a blocked user does not hold the outbox
    assert await club.status(ann) == "left"
    async with stack.services.uow() as tx:
        counts = await tx.outbox.counts()
    assert counts["unreachable"] == 1  # the removal notice, recorded, never retried
    assert counts["queued"] == counts["sending"] == 0
