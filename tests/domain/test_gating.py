"""Gating rules, pure: eligibility and its reasons, join decisions, and the reconciler's plan
(properties: idempotent, staff and chat admins untouched, only the eligible invited, each once)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tgpass.domain.gating import (
    PRESENT,
    Approve,
    Chat,
    ChatRule,
    Decline,
    Eligible,
    Invitation,
    Invite,
    Member,
    NotEligible,
    Person,
    Plan,
    Remove,
    Report,
    RevokeInvite,
    decide_join,
    eligibility,
    link_hash,
    missing_rights,
    not_gateable,
    plan,
)
from tgpass.errors import InvalidInput

NOW = 1_800_000_000.0
RIGHTS = frozenset({"can_invite_users", "can_restrict_members", "can_delete_messages"})
GATED = Chat(-100123, "Web masters", "supergroup", RIGHTS)
RULE = ChatRule(min_karma=100, roles=frozenset({"web-master"}))
ROLES = ("member", "staff", "web-master", "editor")
STATUSES = ("member", "administrator", "creator", "left", "kicked", "restricted")


def person(user_id: int = 1, **fields: object) -> Person:
    values: dict[str, object] = {
        "role": "web-master",
        "karma": 150,
        "telegram_id": 10_000 + user_id,
    }
    values.update(fields)
    return Person(user_id, **values)  # type: ignore[arg-type]


def invitation(
    user_id: int, telegram_id: int, *, name: str = "", expires: float = 60
) -> Invitation:
    return Invitation(name or f"inv-{user_id}", user_id, telegram_id, NOW + expires, f"h{user_id}")


# --- small parts


def test_a_rule_with_an_empty_set_of_roles_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        ChatRule(roles=frozenset())
    assert refused.value.field == "roles"
    assert refused.value.message == "a rule's roles name at least one role"


def test_an_invite_is_live_until_its_expiry_and_not_at_it() -> None:
    invite = Invitation("n", 1, 2, NOW, "https://t.me/+abc")
    assert invite.live(NOW - 0.001)
    assert not invite.live(NOW)


def test_an_invite_link_is_looked_up_by_its_sha256() -> None:
    invite = Invitation("n", 1, 2, NOW, "https://t.me/+abc")
    assert invite.link_hash == link_hash("https://t.me/+abc")
    assert invite.link_hash == hashlib.sha256(b"https://t.me/+abc").hexdigest()
    assert link_hash("https://t.me/+abd") != invite.link_hash


def test_a_plan_as_json_names_each_change_and_report() -> None:
    chat = replace(GATED, managed=False)
    members = [Member(10_003, "member"), Member(777, "member")]
    invites = [invitation(4, 10_004)]
    people = [person(3, karma=5), person(4, karma=1), person(5)]
    result = plan(chat, RULE, people, members, invites, NOW)
    assert result.chat_id == GATED.chat_id
    assert result.as_dict() == {
        "chat_id": GATED.chat_id,
        "skipped": None,
        "changes": [
            {"action": "remove", "telegram_id": 10_003, "user_id": 3, "reason": "karma 5 < 100"},
            {"action": "revoke", "telegram_id": 10_004, "user_id": 4, "reason": "karma 1 < 100"},
            {"action": "invite", "telegram_id": 10_005, "user_id": 5},
        ],
        "reports": [
            {"telegram_id": 777, "user_id": None, "reason": "not linked to a site account"}
        ],
    }
    skipped = plan(replace(GATED, type="group"), RULE, people, members, invites, NOW)
    assert skipped.as_dict()["skipped"] == "a basic group: upgrade it to a supergroup to gate it"


# --- eligibility and its reasons


def test_an_eligible_person() -> None:
    assert eligibility(person(), RULE) == Eligible()
    assert eligibility(person(karma=100), RULE) == Eligible()  # the minimum itself qualifies
    assert eligibility(person(role="x", karma=-5), ChatRule()) == Eligible()


def test_every_unmet_condition_is_named() -> None:
    verdict = eligibility(person(role="member", karma=40, telegram_id=None), RULE)
    assert verdict == NotEligible(("not linked", "karma 40 < 100", "role member not in web-master"))
    assert isinstance(verdict, NotEligible)
    assert verdict.reason == "not linked; karma 40 < 100; role member not in web-master"
    many = ChatRule(roles=frozenset({"web-master", "editor"}))
    assert eligibility(person(role="member"), many) == NotEligible(
        ("role member not in editor, web-master",)
    )
    assert eligibility(person(deleted=True), RULE) == NotEligible(("account deleted",))


def test_a_rule_names_valid_roles() -> None:
    with pytest.raises(InvalidInput):
        ChatRule(roles=frozenset())
    with pytest.raises(InvalidInput):
        ChatRule(roles=frozenset({"Not A Role"}))


# --- which chats can be gated


def test_the_bot_needs_two_rights() -> None:
    assert missing_rights(GATED) == set()
    bare = replace(GATED, bot_rights=frozenset({"can_invite_users"}))
    assert missing_rights(bare) == {"can_restrict_members"}
    assert not_gateable(bare) == "the bot lacks can_restrict_members"


@pytest.mark.parametrize(
    ("chat", "reason"),
    [
        (replace(GATED, type="group"), "a basic group: upgrade it to a supergroup to gate it"),
        (replace(GATED, type="channel"), "a channel: only supergroups are gated"),
        (replace(GATED, paused_reason="by staff"), "paused: by staff"),
        (
            replace(GATED, bot_rights=frozenset()),
            "the bot lacks can_invite_users, can_restrict_members",
        ),
    ],
)
def test_a_chat_that_cannot_be_gated_plans_nothing(chat: Chat, reason: str) -> None:
    stranger = Member(999, "member")
    outsider = person(2, role="member")
    result = plan(chat, RULE, [person(), outsider], [stranger], [], NOW)
    assert result == Plan(chat.chat_id, skipped=reason)
    assert decide_join(person(), RULE, chat) == Decline(reason)


# --- the plan, example by example


def test_the_plan_fixes_only_the_difference() -> None:
    people = [
        person(1),  # eligible, absent: invited
        person(2),  # eligible, present: nothing
        person(3, karma=5),  # present, below the karma: removed
        person(4, role="staff", karma=0),  # staff: never removed
        person(5, karma=0),  # a chat admin: never removed
        person(6, karma=0),  # holds a live invite, no longer eligible: revoked
        person(7),  # holds a live invite: nothing more
        person(8, telegram_id=None),  # not linked: nothing to invite
    ]
    members = [
        Member(10_002, "member"),
        Member(10_003, "restricted"),
        Member(10_004, "member"),
        Member(10_005, "administrator"),
        Member(777, "member"),  # linked to no account
        Member(778, "creator"),
    ]
    invites = [invitation(6, 10_006), invitation(7, 10_007), invitation(1, 10_001, expires=-1)]
    result = plan(GATED, RULE, people, members, invites, NOW)
    assert result.changes == (
        Remove(777, None, "not linked to a site account"),
        Remove(10_003, 3, "karma 5 < 100"),
        RevokeInvite("inv-6", 6, 10_006, "karma 0 < 100"),
        Invite(1, 10_001),
    )
    assert result.reports == ()
    assert not result.empty


def test_an_unmanaged_chat_reports_strangers_and_still_removes_the_unqualified() -> None:
    chat = replace(GATED, managed=False)
    members = [Member(777, "member"), Member(10_003, "member")]
    result = plan(chat, RULE, [person(3, karma=5)], members, [], NOW)
    assert result.changes == (Remove(10_003, 3, "karma 5 < 100"),)
    assert result.reports == (Report(777, None, "not linked to a site account"),)


def test_an_account_admitted_for_someone_who_moved_on_is_removed_even_if_unmanaged() -> None:
    chat = replace(GATED, managed=False)
    # user 3 was admitted as 10_003, then relinked to 20_003; user 4 was deleted
    members = [Member(10_003, "member", 3), Member(10_004, "member", 4), Member(777, "member")]
    result = plan(chat, RULE, [person(3, telegram_id=20_003)], members, [], NOW)
    moved_on = "no longer the Telegram account of the site account it joined for"
    assert result.changes == (
        Remove(10_003, 3, moved_on),
        Remove(10_004, 4, moved_on),
        Invite(3, 20_003),
    )
    assert result.reports == (Report(777, None, "not linked to a site account"),)


def test_someone_the_admins_banned_is_reported_not_invited() -> None:
    result = plan(
        GATED, RULE, [person(1)], [Member(10_001, "kicked")], [invitation(1, 10_001)], NOW
    )
    assert result.changes == (RevokeInvite("inv-1", 1, 10_001, "banned by the chat's admins"),)
    assert result.reports == (Report(10_001, 1, "banned by the chat's admins"),)


def test_an_invite_for_a_moved_link_is_replaced() -> None:
    moved = person(1, telegram_id=20_001)
    result = plan(GATED, RULE, [moved], [], [invitation(1, 10_001)], NOW)
    assert result.changes == (
        RevokeInvite("inv-1", 1, 10_001, "linked to another Telegram account"),
        Invite(1, 20_001),
    )


def test_one_live_invite_is_kept_per_person() -> None:
    invites = [
        invitation(1, 10_001, name="old", expires=30),
        invitation(1, 10_001, name="new", expires=90),
    ]
    result = plan(GATED, RULE, [person(1)], [], invites, NOW)
    assert result.changes == (RevokeInvite("old", 1, 10_001, "a newer invite is live"),)


def test_invites_of_members_and_of_unknown_accounts_are_revoked() -> None:
    invites = [invitation(1, 10_001), invitation(9, 10_009)]
    result = plan(GATED, RULE, [person(1)], [Member(10_001, "member")], invites, NOW)
    assert result.changes == (
        RevokeInvite("inv-1", 1, 10_001, "already in the chat"),
        RevokeInvite("inv-9", 9, 10_009, "not linked"),
    )


def test_a_deleted_staff_account_is_not_protected() -> None:
    gone = person(1, role="staff", deleted=True)
    result = plan(GATED, ChatRule(), [gone], [Member(10_001, "member")], [], NOW)
    assert result.changes == (Remove(10_001, 1, "account deleted"),)


# --- join requests


def test_join_requests_are_approved_only_for_the_linked_and_eligible() -> None:
    assert decide_join(person(1), RULE, GATED) == Approve(1)
    assert decide_join(None, RULE, GATED) == Decline("not linked")
    assert decide_join(person(1, karma=3), RULE, GATED) == Decline("karma 3 < 100")


# --- properties over random worlds

rules = st.builds(
    ChatRule,
    min_karma=st.sampled_from([None, 0, 50, 100]),
    roles=st.sampled_from(
        [None, frozenset({"web-master"}), frozenset({"web-master", "editor"}), frozenset({"staff"})]
    ),
)
chats = st.builds(
    Chat,
    chat_id=st.just(-100500),
    title=st.just("chat"),
    type=st.just("supergroup"),
    bot_rights=st.just(RIGHTS),
    managed=st.booleans(),
)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Person], list[Member], list[Invitation]]:
    count = draw(st.integers(0, 25))
    people = [
        Person(
            user_id=n,
            role=draw(st.sampled_from(ROLES)),
            karma=draw(st.integers(-10, 200)),
            telegram_id=None if draw(st.integers(0, 4)) == 0 else 1000 + n,
            deleted=draw(st.integers(0, 9)) == 0,
        )
        for n in range(count)
    ]
    # members: some of the people's Telegram ids, and strangers
    candidates = [1000 + n for n in range(count)] + [5000 + n for n in range(5)]
    chosen = draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    # some admitted by the bot for an account (maybe one that has since moved on)
    members = [
        Member(t, status, draw(st.sampled_from([None, None, t - 1000, t - 999])))
        if (status := draw(st.sampled_from(STATUSES))) in PRESENT
        else Member(t, status)
        for t in chosen
    ]
    invites = []
    for k in range(draw(st.integers(0, 6))):
        holder = draw(st.integers(0, count + 2))  # some of no known account
        # mostly the holder's own Telegram id; sometimes one the holder is no longer linked to
        telegram_id = draw(st.sampled_from([1000 + holder, 1000 + holder, 1001 + holder]))
        expires = NOW + draw(st.sampled_from([-60.0, 0.0, 60.0, 600.0]))
        invites.append(Invitation(f"i{k}", holder, telegram_id, expires, f"h{k}"))
    return people, members, invites


def applied(
    result: Plan, members: list[Member], invites: list[Invitation], *, join: bool = False
) -> tuple[list[Member], list[Invitation]]:
    """The world after the plan's changes (and, with ``join``, after every invitee joined)."""
    now = {m.telegram_id: m for m in members}
    kept = {i.name: i for i in invites}
    for change in result.changes:
        if isinstance(change, Remove):
            now[change.telegram_id] = Member(change.telegram_id, "left")  # ban, then unban
        elif isinstance(change, RevokeInvite):
            del kept[change.name]
        elif join:
            now[change.telegram_id] = Member(change.telegram_id, "member", change.user_id)
        else:
            name = f"new-{change.user_id}"
            kept[name] = Invitation(name, change.user_id, change.telegram_id, NOW + 300, name)
    return list(now.values()), list(kept.values())


@settings(max_examples=150)
@given(chats, rules, worlds())
def test_planning_again_after_applying_finds_nothing(
    chat: Chat, rule: ChatRule, world: tuple[list[Person], list[Member], list[Invitation]]
) -> None:
    people, members, invites = world
    first = plan(chat, rule, people, members, invites, NOW)
    for join in (False, True):
        after_members, after_invites = applied(first, members, invites, join=join)
        again = plan(chat, rule, people, after_members, after_invites, NOW)
        assert again.changes == ()
        assert again.reports == first.reports


@settings(max_examples=150)
@given(chats, rules, worlds())
def test_staff_and_chat_admins_are_never_removed(
    chat: Chat, rule: ChatRule, world: tuple[list[Person], list[Member], list[Invitation]]
) -> None:
    people, members, invites = world
    result = plan(chat, rule, people, members, invites, NOW)
    staff = {p.telegram_id for p in people if p.role == "staff" and not p.deleted}
    admins = {m.telegram_id for m in members if m.status in {"administrator", "creator"}}
    removed = {c.telegram_id for c in result.changes if isinstance(c, Remove)}
    assert not removed & (staff | admins)


@settings(max_examples=150)
@given(chats, rules, worlds())
def test_removals_are_exactly_the_unqualified_present(
    chat: Chat, rule: ChatRule, world: tuple[list[Person], list[Member], list[Invitation]]
) -> None:
    people, members, invites = world
    result = plan(chat, rule, people, members, invites, NOW)
    owner = {p.telegram_id: p for p in people if p.telegram_id is not None}
    expected = set()
    for m in members:
        if m.status not in {"member", "restricted"}:
            continue
        p = owner.get(m.telegram_id)
        if p is None:
            if chat.managed or m.user_id is not None:  # admitted for someone who moved on
                expected.add(m.telegram_id)
        elif not (p.role == "staff" and not p.deleted) and eligibility(p, rule) != Eligible():
            expected.add(m.telegram_id)
    removed = [c.telegram_id for c in result.changes if isinstance(c, Remove)]
    assert sorted(removed) == removed
    assert set(removed) == expected
    assert len(removed) == len(expected)


@settings(max_examples=150)
@given(chats, rules, worlds())
def test_every_eligible_absent_person_is_invited_once_and_nobody_else(
    chat: Chat, rule: ChatRule, world: tuple[list[Person], list[Member], list[Invitation]]
) -> None:
    people, members, invites = world
    result = plan(chat, rule, people, members, invites, NOW)
    status = {m.telegram_id: m.status for m in members}
    invited = [c for c in result.changes if isinstance(c, Invite)]
    revoked = {c.name for c in result.changes if isinstance(c, RevokeInvite)}
    still_held = [i.user_id for i in invites if i.live(NOW) and i.name not in revoked]
    by_user = {p.user_id: p for p in people}
    for change in invited:
        p = by_user[change.user_id]
        assert eligibility(p, rule) == Eligible()
        assert change.telegram_id == p.telegram_id
        assert change.user_id not in still_held
    should_hold = {
        p.user_id
        for p in people
        if p.telegram_id is not None
        and eligibility(p, rule) == Eligible()
        and status.get(p.telegram_id, "left") == "left"
    }
    counted = [c.user_id for c in invited] + still_held
    assert sorted(counted) == sorted(should_hold)


@settings(max_examples=150)
@given(chats, rules, worlds(), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_input_order(
    chat: Chat,
    rule: ChatRule,
    world: tuple[list[Person], list[Member], list[Invitation]],
    shuffler: random.Random,
) -> None:
    people, members, invites = world
    first = plan(chat, rule, people, members, invites, NOW)
    for items in (people, members, invites):
        shuffler.shuffle(items)
    assert plan(chat, rule, people, members, invites, NOW) == first


@settings(max_examples=150)
@given(
    chats,
    rules,
    st.none()
    | st.builds(
        Person,
        user_id=st.integers(1, 9),
        role=st.sampled_from(ROLES),
        karma=st.integers(-10, 200),
        telegram_id=st.none() | st.integers(1, 9),
        deleted=st.booleans(),
    ),
)
def test_a_leaked_link_admits_nobody_who_is_not_linked_and_eligible(
    chat: Chat, rule: ChatRule, requester: Person | None
) -> None:
    decision = decide_join(requester, rule, chat)
    ok = requester is not None and eligibility(requester, rule) == Eligible()
    assert isinstance(decision, Approve) == ok
    if ok:
        assert requester is not None and decision == Approve(requester.user_id)
    else:
        assert isinstance(decision, Decline) and decision.reason
