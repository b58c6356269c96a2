"""The site API for gated chats, through the sandbox Telegram: the chats as the bot registered
them, rules set and cleared, where a site user stands in each chat as they are invited, join
and are removed, the audit trail, and the dry-run plan. Every refusal is a typed 4xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.harness.served import SITE_AUTH, served
from tests.harness.stack import Stack
from tests.service.test_gated_chats import ADMIN, SITE_KEY, Club
from tgpass.domain.gating import REQUIRED_RIGHTS, Chat, ChatRule
from tgpass.verify import bot_id_from_token

from .test_fuzz_endpoints import BODIES, SEGMENT


async def open_chat(stack: Stack, title: str, rights: dict[str, bool] | None = ADMIN) -> int:
    """A supergroup with the bot added (an administrator with ``rights``), as the bot heard
    it through my_chat_member; no rule."""
    owner = await stack.new_tg_user("Owner")
    chat = await stack.users.create_chat(title, owner)
    await stack.users.add_bot_to_chat(chat["id"], bot_id_from_token(stack.bot_token), rights)
    await stack.pump()
    return int(chat["id"])


async def call(stack: Stack, method: str, path: str, **kwargs: Any) -> Any:
    answer = await stack.web.request(method, path, headers=SITE_KEY, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def user_id(stack: Stack, site_id: str) -> int:
    return (await stack.services.site.get(site_id)).user.id


async def test_every_route_needs_the_site_key(stack: Stack) -> None:
    chat_id = await open_chat(stack, "Closed")
    routes = [
        ("GET", "/api/site/chats"),
        ("GET", "/api/site/chats/plan"),
        ("GET", f"/api/site/chats/{chat_id}"),
        ("PUT", f"/api/site/chats/{chat_id}/rule"),
        ("DELETE", f"/api/site/chats/{chat_id}/rule"),
        ("GET", f"/api/site/chats/{chat_id}/audit"),
        ("GET", "/api/site/users/ann/chats"),
        ("GET", "/api/site/users/ann/audit"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "tma x"}):
            answer = await stack.web.request(method, path, headers=headers, json={"min_karma": 1})
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "unauthorized"
    assert (await stack.services.gating.chat(chat_id)).rule is None  # nothing was set


async def test_a_registered_chat_and_one_the_bot_cannot_gate(stack: Stack) -> None:
    ready = await open_chat(stack, "Ready")
    lacking = await open_chat(stack, "Lacking", {"can_invite_users": True})
    chats = {c["title"]: c for c in await call(stack, "GET", "/api/site/chats")}
    assert chats["Ready"] == {
        "chat_id": ready,
        "title": "Ready",
        "type": "supergroup",
        "status": "not_gated",
        "gated": False,
        "blocked": "no rule: not gated",
        "paused_reason": None,
        "bot_rights": ["can_invite_users", "can_manage_chat", "can_restrict_members"],
        "missing_rights": [],
        "rule": None,
        "managed": True,
        "members": 0,
        "live_invites": 0,
    }
    assert ready < 0 and lacking < 0  # Telegram's own (negative) ids
    view = chats["Lacking"]
    assert view["missing_rights"] == ["can_restrict_members"]
    assert view["bot_rights"] == ["can_invite_users", "can_manage_chat"]
    # a rule does not make it gated while the bot lacks a right
    ruled = await call(stack, "PUT", f"/api/site/chats/{lacking}/rule", json={"min_karma": 5})
    assert ruled["status"] == "blocked"
    assert ruled["blocked"] == "the bot lacks can_restrict_members"
    assert ruled["rule"] == {"min_karma": 5, "roles": None}
    assert await call(stack, "GET", f"/api/site/chats/{lacking}") == ruled


async def test_a_rule_is_set_changed_and_removed(stack: Stack) -> None:
    chat_id = await open_chat(stack, "Web-masters")
    path = f"/api/site/chats/{chat_id}/rule"
    gated = await call(stack, "PUT", path, json={"min_karma": 100, "roles": None})
    assert (gated["status"], gated["gated"], gated["blocked"]) == ("gated", True, None)
    assert gated["rule"] == {"min_karma": 100, "roles": None}
    assert gated["managed"] is True
    body = {"min_karma": None, "roles": ["web-master", "staff", "web-master"], "managed": False}
    changed = await call(stack, "PUT", path, json=body)
    assert changed["rule"] == {"min_karma": None, "roles": ["staff", "web-master"]}
    assert changed["managed"] is False
    assert (await stack.services.gating.chat(chat_id)).rule == ChatRule(
        roles=frozenset({"staff", "web-master"})
    )
    kept = await call(stack, "PUT", path, json={"min_karma": 3})  # managed absent: unchanged
    assert kept["managed"] is False
    cleared = await call(stack, "DELETE", path)
    assert (cleared["status"], cleared["rule"], cleared["gated"]) == ("not_gated", None, False)
    assert (await stack.services.gating.chat(chat_id)).rule is None
    trail = await call(stack, "GET", f"/api/site/chats/{chat_id}/audit")
    assert [e["action"] for e in trail] == ["rule", "rule", "rule", "rule", "bot"]
    assert trail[0]["reason"] == "no rule: not gated"
    assert trail[1]["reason"] == "karma ≥ 3"
    assert trail[2]["reason"] == "role in staff, web-master; strangers reported"
    assert all(e["chat_id"] == chat_id and e["user_id"] is None for e in trail)
    assert all(e["site_user_id"] is None and e["display_name"] is None for e in trail)
    assert [e["action"] for e in await call(stack, "GET", f"{path[:-5]}/audit?limit=2")] == [
        "rule",
        "rule",
    ]


async def test_unknown_chats_and_users_are_404(stack: Stack) -> None:
    await open_chat(stack, "Known")
    missing = -100999
    for method, path in [
        ("GET", f"/api/site/chats/{missing}"),
        ("PUT", f"/api/site/chats/{missing}/rule"),
        ("DELETE", f"/api/site/chats/{missing}/rule"),
        ("GET", f"/api/site/chats/{missing}/audit"),
        ("GET", "/api/site/users/nobody/chats"),
        ("GET", "/api/site/users/nobody/audit"),
    ]:
        answer = await stack.web.request(method, path, headers=SITE_KEY, json={"min_karma": 1})
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "not_found"
    assert len(await stack.services.gating.chats()) == 1  # nothing made up


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": []}, "roles"),
        ({"roles": ["Web Masters"]}, "role"),
        ({"roles": ["x" * 33]}, "role"),
        ({"roles": "web-master"}, "roles"),
        ({"roles": ["a\x00b"]}, "roles.0"),
        ({"min_karma": "lots"}, "min_karma"),
        ({"min_karma": 2**70}, "min_karma"),
        ({"min_karma": 1.5}, "min_karma"),
        ({"managed": "perhaps"}, "managed"),
        ({"min_carma": 100}, "min_carma"),  # a misspelt condition would open the chat
        ({"roles": [f"r{n}" for n in range(65)]}, "roles"),
    ],
)
async def test_a_bad_rule_is_422_and_changes_nothing(
    stack: Stack, body: dict[str, Any], field: str
) -> None:
    chat_id = await open_chat(stack, "Strict")
    await call(stack, "PUT", f"/api/site/chats/{chat_id}/rule", json={"min_karma": 7})
    answer = await stack.web.put(f"/api/site/chats/{chat_id}/rule", json=body, headers=SITE_KEY)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    fields = [error.get("field"), *(d["field"] for d in error.get("details", []))]
    assert any(f is not None and f.startswith(field) for f in fields), error
    assert (await stack.services.gating.chat(chat_id)).rule == ChatRule(min_karma=7)


async def test_bad_ids_and_limits_are_422(stack: Stack) -> None:
    chat_id = await open_chat(stack, "Ids")
    for method, path in [
        ("GET", "/api/site/chats/abc"),
        ("PUT", "/api/site/chats/abc/rule"),
        ("GET", f"/api/site/chats/{10**30}/audit"),
        ("DELETE", f"/api/site/chats/{-(10**30)}/rule"),
        ("GET", f"/api/site/chats/{chat_id}/audit?limit=0"),
        ("GET", f"/api/site/chats/{chat_id}/audit?limit=100000"),
        ("GET", f"/api/site/chats/{chat_id}/audit?limit=ten"),
        ("GET", "/api/site/users/ann/audit?limit=-1"),
        ("GET", f"/api/site/users/{'x' * 129}/chats"),
    ]:
        answer = await stack.web.request(method, path, headers=SITE_KEY, json={"min_karma": 1})
        assert answer.status_code == 422, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "invalid_input"
    not_json = await stack.web.put(
        f"/api/site/chats/{chat_id}/rule", content=b"min_karma=5", headers=SITE_KEY
    )
    assert not_json.status_code == 422
    assert (await stack.services.gating.chat(chat_id)).rule is None


async def test_where_a_user_stands_as_they_are_invited_join_and_are_removed(
    stack: Stack,
) -> None:
    club = await Club.open(stack)
    await call(stack, "PUT", f"/api/site/chats/{club.chat_id}/rule", json={"min_karma": 100})
    other = await open_chat(stack, "Not gated")  # no rule: not listed for users
    ann = await club.member("ann", karma=10)
    ann_id = await user_id(stack, "ann")
    standing = await call(stack, "GET", "/api/site/users/ann/chats")
    assert standing == {
        "site_user_id": "ann",
        "user_id": ann_id,
        "chats": [
            {
                "chat_id": club.chat_id,
                "title": "Karma 100+",
                "gated": True,
                "eligible": False,
                "reasons": ["karma 10 < 100"],
                "status": None,
                "member": False,
                "invited": False,
                "removed": None,
            }
        ],
    }
    assert other not in [c["chat_id"] for c in standing["chats"]]

    await club.site_user("ann", karma=150)
    await club.settle()
    (row,) = (await call(stack, "GET", "/api/site/users/ann/chats"))["chats"]
    assert (row["eligible"], row["reasons"], row["invited"], row["member"]) == (
        True,
        [],
        True,
        False,
    )
    chat = await call(stack, "GET", f"/api/site/chats/{club.chat_id}")
    assert chat["live_invites"] == 1

    await stack.users.open_invite(ann, await club.invite_of(ann))
    await club.settle()
    (row,) = (await call(stack, "GET", "/api/site/users/ann/chats"))["chats"]
    assert (row["status"], row["member"], row["invited"]) == ("member", True, False)
    chat = await call(stack, "GET", f"/api/site/chats/{club.chat_id}")
    assert (chat["members"], chat["live_invites"]) == (1, 0)

    await club.site_user("ann", karma=20)
    await club.settle()
    (row,) = (await call(stack, "GET", "/api/site/users/ann/chats"))["chats"]
    assert (row["eligible"], row["reasons"]) == (False, ["karma 20 < 100"])
    assert (row["status"], row["member"]) == ("left", False)
    assert row["removed"]["reason"] == "karma 20 < 100"
    assert isinstance(row["removed"]["at"], float)

    trail = await call(stack, "GET", "/api/site/users/ann/audit")
    assert [e["action"] for e in trail] == ["remove", "approve", "invite"]
    assert {
        (e["user_id"], e["site_user_id"], e["display_name"], e["telegram_id"]) for e in trail
    } == {(ann_id, "ann", "Ann", ann)}
    assert trail[0]["reason"] == "karma 20 < 100"
    assert trail[0]["at"] >= trail[1]["at"] >= trail[2]["at"]
    latest = await call(stack, "GET", "/api/site/users/ann/audit?limit=1")
    assert latest == trail[:1]
    chat_trail = await call(stack, "GET", f"/api/site/chats/{club.chat_id}/audit")
    assert [e["action"] for e in chat_trail][:3] == ["remove", "approve", "invite"]
    # entries about no account (the rule, the bot's rights) carry no site id
    assert all(e["site_user_id"] in {"ann", None} for e in chat_trail)


async def test_the_plan_shows_what_a_pass_would_do_and_does_nothing(stack: Stack) -> None:
    club = await Club.open(stack)
    rule = f"/api/site/chats/{club.chat_id}/rule"
    await call(stack, "PUT", rule, json={"min_karma": 100, "managed": False})
    ann = await club.member("ann", karma=150)
    await stack.users.open_invite(ann, await club.invite_of(ann))
    bob = await club.member("bob", karma=60)
    stranger = await stack.new_tg_user("Stranger")
    await stack.users.add_member(club.chat_id, stranger)
    await club.settle()
    plain = await open_chat(stack, "Plain")
    invites_made = club.admin_calls("createChatInviteLink")

    await call(stack, "PUT", rule, json={"min_karma": 50})
    plans = {p["chat_id"]: p for p in await call(stack, "GET", "/api/site/chats/plan")}
    assert plans[club.chat_id] == {
        "chat_id": club.chat_id,
        "title": "Karma 100+",
        "skipped": None,
        "changes": [
            {
                "action": "invite",
                "telegram_id": bob,
                "user_id": await user_id(stack, "bob"),
                "reason": None,
                "invite_name": None,
            }
        ],
        "reports": [
            {"telegram_id": stranger, "user_id": None, "reason": "not linked to a site account"}
        ],
    }
    assert plans[plain] == {
        "chat_id": plain,
        "title": "Plain",
        "skipped": "no rule: not gated",
        "changes": [],
        "reports": [],
    }

    await call(stack, "PUT", rule, json={"min_karma": 200})
    plans = {p["chat_id"]: p for p in await call(stack, "GET", "/api/site/chats/plan")}
    planned = plans[club.chat_id]
    assert [(c["action"], c["telegram_id"], c["reason"]) for c in planned["changes"]] == [
        ("remove", ann, "karma 150 < 200")
    ]
    # a dry run: nobody was invited or removed
    assert club.admin_calls("createChatInviteLink") == invites_made
    assert club.admin_calls("banChatMember") == 0
    assert await club.status(ann) == "member"
    assert (await call(stack, "GET", f"/api/site/chats/{club.chat_id}"))["live_invites"] == 0


async def test_a_paused_chat_says_why(stack: Stack) -> None:
    club = await Club.open(stack)
    await stack.users.add_bot_to_chat(club.chat_id, bot_id_from_token(stack.bot_token), None)
    await club.settle()
    chat = await call(stack, "GET", f"/api/site/chats/{club.chat_id}")
    assert chat["status"] == "paused"
    assert chat["paused_reason"] == "the bot is not an administrator"
    assert chat["blocked"] == "paused: the bot is not an administrator"
    assert chat["bot_rights"] == []
    assert chat["missing_rights"] == ["can_invite_users", "can_restrict_members"]
    assert chat["rule"] == {"min_karma": 100, "roles": None}
    (plan,) = await call(stack, "GET", "/api/site/chats/plan")
    assert plan["skipped"] == "paused: the bot is not an administrator"


# -- fuzzed: the site's routes and the staff page's calls ----------------------------------------

CHAT_ROUTES = [
    ("GET", "/api/site/chats"),
    ("GET", "/api/site/chats/plan"),
    ("GET", "/api/site/chats/{id}"),
    ("PUT", "/api/site/chats/{id}/rule"),
    ("DELETE", "/api/site/chats/{id}/rule"),
    ("GET", "/api/site/chats/{id}/audit?limit={q}"),
    ("GET", "/api/site/users/{id}/chats"),
    ("GET", "/api/site/users/{id}/audit?limit={q}"),
    ("GET", "/api/admin/chats"),
    ("PUT", "/api/admin/chats/{id}/rule"),
    ("DELETE", "/api/admin/chats/{id}/rule"),
    ("GET", "/api/admin/chats/{id}/audit?limit={q}"),
    ("GET", "/api/admin/users?username={q}"),
    ("GET", "/api/admin/users?site_user_id={q}&username={id}"),
    ("GET", "/api/admin/users/{id}"),
    ("PUT", "/api/admin/users/{id}/standing"),
]


async def test_no_chat_route_answers_500_to_anything(tmp_path: Path) -> None:
    """Any body, id and query, as staff and with the site key, with a chat and users there."""
    rule_ish = st.fixed_dictionaries(
        {},
        optional={
            "min_karma": st.none() | st.integers() | st.text() | st.floats(allow_nan=False),
            "roles": st.none() | st.lists(st.text(max_size=40), max_size=3) | st.text(),
            "managed": st.none() | st.booleans() | st.integers(),
            "karma": st.integers() | st.text(),
            "role": st.text(max_size=40),
        },
    ).map(lambda v: json.dumps(v).encode())
    known = st.sampled_from(["-100123", "1", "2", "ann", "boss"])
    ids = known | st.integers(min_value=-(2**70), max_value=2**70).map(str) | SEGMENT
    async with served("sqlite+memory", tmp_path) as site:
        registered = await site.web.post(
            "/api/auth/register", json={"username": "boss", "password": "pass-word-1"}
        )
        boss = registered.json()["user"]["id"]
        await site.services.accounts.update_user(boss, role="staff")
        await site.services.site.upsert("ann", display_name="Ann", karma=5)
        async with site.services.uow() as tx:
            await tx.chats.upsert_chat(
                Chat(-100123, "Fuzzed", "supergroup", frozenset(REQUIRED_RIGHTS))
            )
        csrf = registered.json()["csrf_token"]
        drawn: list[tuple[Any, ...]] = []

        @settings(
            max_examples=250,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(route=st.sampled_from(CHAT_ROUTES), body=rule_ish | BODIES, id=ids, q=ids)
        def draw(route: Any, body: bytes, id: str, q: str) -> None:
            drawn.append((route, body, id, q))

        draw()
        for (method, path), body, id, q in drawn:
            url = path.replace("{id}", quote(id, safe="")).replace("{q}", quote(q, safe=""))
            headers = {"Content-Type": "application/json", "X-CSRF-Token": csrf, **SITE_AUTH}
            if path.startswith("/api/admin"):
                del headers["Authorization"]
            answer = await site.web.request(method, url, content=body, headers=headers)
            assert answer.status_code < 500, (method, url, body, answer.text)
            if answer.status_code >= 400:
                assert isinstance(answer.json()["error"]["code"], str), (url, answer.text)
