"""One contract, every SQL backend: SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from tgpass.domain.accounts import TelegramProfile
from tgpass.errors import Conflict, NotFound
from tgpass.service.ports import AccountStore, AlreadyLinked

BIG = 9_007_199_254_740_993  # beyond 2**53: ids must survive as integers


def profile(telegram_id: int = BIG, name: str = "Зоя 🚀") -> TelegramProfile:
    return TelegramProfile(telegram_id=telegram_id, first_name=name, username="zoya")


async def test_users_are_read_many_at_once(accounts: AccountStore) -> None:
    ann = await accounts.create_user(display_name="Ann")
    bob = await accounts.create_user(display_name="Bob")
    assert await accounts.get_users([bob.id, ann.id, ann.id, bob.id + 1000]) == {
        ann.id: ann,
        bob.id: bob,
    }
    assert await accounts.get_users([]) == {}


async def test_users_are_created_found_and_updated(accounts: AccountStore) -> None:
    user = await accounts.create_user(display_name="Ann", username="ann", password_hash="h")
    assert user.id > 0
    assert user.created_at.tzinfo is not None
    assert await accounts.get_user(user.id) == user
    assert await accounts.find_user(username="ann") == user
    assert await accounts.get_user(user.id + 1000) is None
    with pytest.raises(Conflict):
        await accounts.create_user(display_name="Other", username="ann")
    updated = await accounts.update_user(user.id, role="moderator", karma=2**40)
    assert (updated.role, updated.karma, updated.display_name) == ("moderator", 2**40, "Ann")
    with pytest.raises(NotFound):
        await accounts.update_user(10**9, role="x")


async def test_site_users_are_unique_by_site_id(accounts: AccountStore) -> None:
    await accounts.create_user(display_name="S", site_user_id="site-42")
    with pytest.raises(Conflict):
        await accounts.create_user(display_name="T", site_user_id="site-42")
    found = await accounts.find_user(site_user_id="site-42")
    assert found is not None
    assert found.display_name == "S"


async def test_session_epoch_only_goes_up(accounts: AccountStore) -> None:
    user = await accounts.create_user(display_name="E")
    assert user.session_epoch == 0
    assert await accounts.bump_session_epoch(user.id) == 1
    assert await accounts.bump_session_epoch(user.id) == 2


async def test_link_find_update_unlink(accounts: AccountStore) -> None:
    user = await accounts.create_user(display_name="L")
    link = await accounts.link_telegram(user.id, profile(), chat_id=BIG)
    assert (link.user_id, link.profile.telegram_id, link.chat_id) == (user.id, BIG, BIG)
    assert link.profile.first_name == "Зоя 🚀"
    assert await accounts.find_user(telegram_id=BIG) == user
    assert await accounts.telegram_link(user_id=user.id) == link
    await accounts.update_telegram(BIG, phone_number="+15550001", bot_blocked=True)
    changed = await accounts.telegram_link(telegram_id=BIG)
    assert changed is not None
    assert (changed.phone_number, changed.bot_blocked) == ("+15550001", True)
    await accounts.update_telegram(BIG, chat_id=None)
    cleared = await accounts.telegram_link(telegram_id=BIG)
    assert cleared is not None
    assert cleared.chat_id is None
    assert cleared.phone_number == "+15550001"
    removed = await accounts.unlink_telegram(user_id=user.id)
    assert removed is not None
    assert removed.profile.telegram_id == BIG
    assert await accounts.telegram_link(user_id=user.id) is None
    assert await accounts.unlink_telegram(user_id=user.id) is None


async def test_one_telegram_account_per_site_account(accounts: AccountStore) -> None:
    first = await accounts.create_user(display_name="First")
    second = await accounts.create_user(display_name="Second")
    await accounts.link_telegram(first.id, profile())
    with pytest.raises(AlreadyLinked) as caught:
        await accounts.link_telegram(second.id, profile())
    assert caught.value.user_id == first.id
    moved = await accounts.link_telegram(second.id, profile(), move=True)
    assert moved.user_id == second.id
    assert await accounts.telegram_link(user_id=first.id) is None
    # linking another Telegram account to the same site account replaces the first
    replaced = await accounts.link_telegram(second.id, profile(BIG + 1, "New"))
    assert replaced.profile.telegram_id == BIG + 1
    assert await accounts.telegram_link(telegram_id=BIG) is None


async def test_concurrent_links_of_one_telegram_account_give_one_owner(
    accounts: AccountStore,
) -> None:
    users = [await accounts.create_user(display_name=f"U{n}") for n in range(10)]
    results = await asyncio.gather(
        *(accounts.link_telegram(u.id, profile()) for u in users), return_exceptions=True
    )
    linked = [r for r in results if not isinstance(r, BaseException)]
    assert len(linked) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))
    owner = await accounts.find_user(telegram_id=BIG)
    assert owner is not None
    assert owner.id == linked[0].user_id


async def test_audience_is_linked_users_matching_every_filter(accounts: AccountStore) -> None:
    made = {}
    for name, role, karma in [("a", "staff", 5), ("b", "member", 150), ("c", "member", 50)]:
        user = await accounts.create_user(
            display_name=name.upper(), site_user_id=f"s-{name}", role=role, karma=karma
        )
        made[name] = user
    await accounts.create_user(display_name="Unlinked", site_user_id="s-d", karma=999)
    for n, name in enumerate("abc"):
        await accounts.link_telegram(made[name].id, profile(BIG + n, name.upper()), chat_id=n + 1)

    async def names(**filters: object) -> list[str]:
        found = await accounts.audience(**filters)  # type: ignore[arg-type]
        return [user.display_name for user, _ in found]

    assert await names() == ["A", "B", "C"]
    assert await names(roles=["member"]) == ["B", "C"]
    assert await names(min_karma=100) == ["B"]
    assert await names(roles=["member"], min_karma=60) == ["B"]
    assert await names(site_user_ids=["s-a", "s-c", "s-d"]) == ["A", "C"]
    assert await names(site_user_ids=[]) == []
    pairs = await accounts.audience(min_karma=100)
    assert pairs[0][1].profile.telegram_id == BIG + 1
    assert pairs[0][1].chat_id == 2
    assert pairs[0][1].user_id == made["b"].id


async def test_a_deleted_account_takes_its_link_and_frees_its_ids(accounts: AccountStore) -> None:
    gone = await accounts.create_user(display_name="Gone", site_user_id="s-1", username="gone")
    kept = await accounts.create_user(display_name="Kept", site_user_id="s-2")
    await accounts.link_telegram(gone.id, profile(BIG))
    await accounts.link_telegram(kept.id, profile(BIG + 1))
    assert await accounts.delete_user(gone.id)
    assert not await accounts.delete_user(gone.id)
    assert await accounts.get_user(gone.id) is None
    assert await accounts.find_user(telegram_id=BIG) is None
    assert await accounts.telegram_link(telegram_id=BIG) is None
    assert await accounts.find_user(site_user_id="s-1") is None
    # the Telegram account and the site id may be taken again; the other account is untouched
    again = await accounts.create_user(display_name="New", site_user_id="s-1", username="gone")
    await accounts.link_telegram(again.id, profile(BIG))
    assert (await accounts.find_user(telegram_id=BIG + 1)) == kept


async def test_a_deleted_accounts_id_is_never_given_again(accounts: AccountStore) -> None:
    # The highest id deleted is the one SQLite would hand out next without AUTOINCREMENT; a
    # session, sign-in code or OpenID subject still naming it would then be the newcomer's.
    first = await accounts.create_user(display_name="First")
    last = await accounts.create_user(display_name="Last")
    assert await accounts.delete_user(last.id)
    newcomer = await accounts.create_user(display_name="Newcomer")
    assert newcomer.id not in {first.id, last.id}
    assert newcomer.id > last.id
    assert await accounts.get_user(last.id) is None


async def test_an_account_may_be_given_a_free_username(accounts: AccountStore) -> None:
    taken = await accounts.create_user(display_name="Taken", username="taken")
    nameless = await accounts.create_user(display_name="Nameless")
    with pytest.raises(Conflict):
        await accounts.update_user(nameless.id, username="taken")
    named = await accounts.update_user(nameless.id, username="zoya")
    assert named.username == "zoya"
    assert await accounts.find_user(username="zoya") == named
    assert (await accounts.get_user(taken.id)) == taken


async def test_a_password_replaces_only_the_one_it_was_checked_against(
    accounts: AccountStore,
) -> None:
    user = await accounts.create_user(display_name="Zoya", username="zoya")
    first = await accounts.update_user(user.id, password_hash="h1", if_password_hash=None)
    assert first.password_hash == "h1"
    with pytest.raises(Conflict) as stale:  # a second "first password" lost the race
        await accounts.update_user(user.id, password_hash="h2", if_password_hash=None)
    assert stale.value.code == "password_set"
    with pytest.raises(Conflict):
        await accounts.update_user(user.id, password_hash="h2", if_password_hash="other")
    changed = await accounts.update_user(user.id, password_hash="h2", if_password_hash="h1")
    assert changed.password_hash == "h2"
    with pytest.raises(NotFound):
        await accounts.update_user(user.id + 1000, password_hash="h3", if_password_hash=None)
