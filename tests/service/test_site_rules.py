"""The site API's rules, through the service and over HTTP: ids, karma bounds, defaults, and
links that go to the right account when there is more than one (user ids other than 1)."""

from __future__ import annotations

import asyncio

import pytest

from tests.harness.stack import API_KEY, Stack
from tgpass.errors import InvalidInput, NotFound

AUTH = {"Authorization": f"Bearer {API_KEY}"}
SITE_ID_RULE = "a site user id is 1-128 printable characters"


async def put(stack: Stack, site_user_id: str, **body: object) -> int:
    answer = await stack.web.put(
        f"/api/site/users/{site_user_id}", json={"display_name": "Ann", **body}, headers=AUTH
    )
    return answer.status_code


@pytest.mark.memory
@pytest.mark.parametrize("site_user_id", ["a", "x" * 128, "é-42 ✓"])
async def test_site_ids_of_1_to_128_printable_characters(stack: Stack, site_user_id: str) -> None:
    found, created = await stack.services.site.upsert(site_user_id, display_name="Ann")
    assert created
    assert found.user.site_user_id == site_user_id
    assert (await stack.services.site.get(site_user_id)).user.id == found.user.id


@pytest.mark.memory
@pytest.mark.parametrize("site_user_id", ["", "x" * 129, "a\nb", "tab\there", "\x00"])
async def test_other_site_ids_are_refused(stack: Stack, site_user_id: str) -> None:
    for call in (
        lambda: stack.services.site.upsert(site_user_id, display_name="Ann"),
        lambda: stack.services.site.get(site_user_id),
    ):
        with pytest.raises(InvalidInput) as caught:
            await call()
        assert (caught.value.field, caught.value.message) == ("site_user_id", SITE_ID_RULE)


@pytest.mark.memory
async def test_a_long_site_id_over_http(stack: Stack) -> None:
    assert await put(stack, "x" * 128) == 201
    answer = await stack.web.put(
        f"/api/site/users/{'x' * 129}", json={"display_name": "Ann"}, headers=AUTH
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "site_user_id"


@pytest.mark.memory
async def test_role_and_karma_default_to_member_and_zero(stack: Stack) -> None:
    found, _ = await stack.services.site.upsert("s1", display_name="Ann")
    assert (found.user.role, found.user.karma) == ("member", 0)
    assert await put(stack, "s2") == 201
    user = (await stack.web.get("/api/site/users/s2", headers=AUTH)).json()["user"]
    assert (user["role"], user["karma"]) == ("member", 0)


@pytest.mark.parametrize("karma", [-(2**62), -1, 0, 2**62])
async def test_karma_within_bounds(stack: Stack, karma: int) -> None:
    found, _ = await stack.services.site.upsert("s1", display_name="Ann", karma=karma)
    assert found.user.karma == karma


@pytest.mark.memory
@pytest.mark.parametrize("karma", [-(2**62) - 1, 2**62 + 1, 2**63])
async def test_karma_beyond_bounds_is_refused_by_the_service(stack: Stack, karma: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        await stack.services.site.upsert("s1", display_name="Ann", karma=karma)
    assert (caught.value.field, caught.value.message) == ("karma", "karma is out of range")
    with pytest.raises(NotFound):
        await stack.services.site.get("s1")  # nothing was written


@pytest.mark.memory
async def test_an_unknown_site_user(stack: Stack) -> None:
    with pytest.raises(NotFound) as caught:
        await stack.services.site.get("nobody")
    assert caught.value.message == "no user 'nobody'"


@pytest.mark.memory
async def test_a_site_link_goes_to_its_own_account_among_several(stack: Stack) -> None:
    for site_user_id in ("first", "second", "third"):
        assert await put(stack, site_user_id) == 201
    offer = await stack.web.post("/api/site/users/second/link", headers=AUTH)
    assert offer.status_code == 200
    tg = await stack.new_tg_user("Bo")
    await stack.users.open_link(tg, offer.json()["url"])
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    linked = {
        site_user_id: (await stack.web.get(f"/api/site/users/{site_user_id}", headers=AUTH)).json()
        for site_user_id in ("first", "second", "third")
    }
    assert [s for s, body in linked.items() if body["linked"]] == ["second"]
    assert linked["second"]["telegram"]["id"] == tg
    # Unlinking one account leaves the others alone, and says when there is nothing to unlink.
    assert (await stack.web.delete("/api/site/users/first/telegram", headers=AUTH)).json()["error"][
        "message"
    ] == "no Telegram account is linked"
    assert (
        await stack.web.delete("/api/site/users/second/telegram", headers=AUTH)
    ).status_code == 200
    assert (await stack.web.get("/api/site/users/second", headers=AUTH)).json()["linked"] is False


@pytest.mark.memory
async def test_role_and_karma_are_written_on_create_and_on_update(stack: Stack) -> None:
    assert await put(stack, "s1", role="moderator", karma=7) == 201
    user = (await stack.web.get("/api/site/users/s1", headers=AUTH)).json()["user"]
    assert (user["role"], user["karma"], user["display_name"]) == ("moderator", 7, "Ann")
    answer = await stack.web.put(
        "/api/site/users/s1",
        json={"display_name": "Ann B", "role": "admin", "karma": -3},
        headers=AUTH,
    )
    assert answer.status_code == 200
    user = (await stack.web.get("/api/site/users/s1", headers=AUTH)).json()["user"]
    assert (user["role"], user["karma"], user["display_name"]) == ("admin", -3, "Ann B")


async def test_concurrent_upserts_of_a_new_id_make_one_account(stack: Stack) -> None:
    site = stack.services.site
    results = await asyncio.gather(
        *(site.upsert("same", display_name=f"N{i}", role=f"r{i}", karma=i) for i in range(8))
    )
    assert sum(created for _, created in results) == 1
    assert len({found.user.id for found, _ in results}) == 1
    final = (await site.get("same")).user
    assert (final.display_name, final.role, final.karma) in {
        (f"N{i}", f"r{i}", i) for i in range(8)
    }


@pytest.mark.memory
async def test_an_upsert_reports_an_existing_link(stack: Stack) -> None:
    assert await put(stack, "s1") == 201
    offer = await stack.web.post("/api/site/users/s1/link", headers=AUTH)
    tg = await stack.new_tg_user("Ann")
    await stack.users.open_link(tg, offer.json()["url"])
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    answer = await stack.web.put("/api/site/users/s1", json={"display_name": "Ann"}, headers=AUTH)
    assert answer.json()["linked"] is True
    assert answer.json()["telegram"]["id"] == tg
