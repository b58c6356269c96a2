"""The API an existing website calls with its own user ids, display names, roles and karma."""

from __future__ import annotations

from dataclasses import dataclass

from tgpass.domain.accounts import TelegramLink, User, checked_display_name, checked_role
from tgpass.errors import Conflict, InvalidInput, NotFound
from tgpass.service.accounts.linking import LinkingService, LinkOffer
from tgpass.service.events import AccountChanged, AccountEvents, Standing
from tgpass.service.uow import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class SiteUser:
    user: User
    link: TelegramLink | None


def _site_id(site_user_id: str) -> str:
    if not 1 <= len(site_user_id) <= 128 or not site_user_id.isprintable():
        raise InvalidInput("a site user id is 1-128 printable characters", field="site_user_id")
    return site_user_id


class SiteService:
    def __init__(
        self, uow: UnitOfWorkFactory, linking: LinkingService, events: AccountEvents
    ) -> None:
        self.uow = uow
        self.linking = linking
        self.events = events

    async def upsert(
        self, site_user_id: str, *, display_name: str, role: str = "member", karma: int = 0
    ) -> tuple[SiteUser, bool]:
        """Create or update the account known by the site's own id; True when created. A
        change of role or karma is an event (gated chats follow it) in the same transaction."""
        key = _site_id(site_user_id)
        name, role = checked_display_name(display_name), checked_role(role)
        if not -(2**62) <= karma <= 2**62:
            raise InvalidInput("karma is out of range", field="karma")
        for attempt in range(2):
            try:
                async with self.uow() as tx:
                    existing = await tx.accounts.find_user(site_user_id=key)
                    if existing is None:
                        user = await tx.accounts.create_user(
                            display_name=name, site_user_id=key, role=role, karma=karma
                        )
                    else:
                        user = await tx.accounts.update_user(
                            existing.id, display_name=name, role=role, karma=karma
                        )
                    if existing is None or (existing.role, existing.karma) != (role, karma):
                        was = None if existing is None else Standing(existing.role, existing.karma)
                        await self.events.publish(tx, AccountChanged(user.id, "site", before=was))
                    link = await tx.accounts.telegram_link(user_id=user.id)
                return SiteUser(user, link), existing is None
            except Conflict:  # created by a concurrent call: update it instead
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    async def set_standing(self, user_id: int, *, role: str, karma: int) -> User:
        """Role and karma of any account (one made on tgpass too, with no site id), and the
        event gated chats follow, in one transaction."""
        role = checked_role(role)
        if not -(2**62) <= karma <= 2**62:
            raise InvalidInput("karma is out of range", field="karma")
        async with self.uow() as tx:
            before = await tx.accounts.get_user(user_id)
            if before is None:
                raise NotFound("no user {user_id}", values={"user_id": user_id})
            if (before.role, before.karma) == (role, karma):
                return before
            user = await tx.accounts.update_user(user_id, role=role, karma=karma)
            was = Standing(before.role, before.karma)
            await self.events.publish(tx, AccountChanged(user.id, "site", before=was))
        return user

    async def get(self, site_user_id: str) -> SiteUser:
        async with self.uow() as tx:
            user = await tx.accounts.find_user(site_user_id=_site_id(site_user_id))
            if user is None:
                raise NotFound("no user {site_user_id!r}", values={"site_user_id": site_user_id})
            return SiteUser(user, await tx.accounts.telegram_link(user_id=user.id))

    async def delete(self, site_user_id: str) -> None:
        """Forget the account: its Telegram link goes with it, and so does its place in gated
        chats (the reconciler removes the Telegram account it was admitted as)."""
        async with self.uow() as tx:
            user = await tx.accounts.find_user(site_user_id=_site_id(site_user_id))
            if user is None:
                raise NotFound("no user {site_user_id!r}", values={"site_user_id": site_user_id})
            link = await tx.accounts.telegram_link(user_id=user.id)
            await tx.accounts.delete_user(user.id)
            gone = AccountChanged(
                user.id,
                "deleted",
                telegram_id=link.profile.telegram_id if link is not None else None,
                site_user_id=user.site_user_id,
            )
            await self.events.publish(tx, gone)

    async def offer_link(self, site_user_id: str) -> LinkOffer:
        return await self.linking.offer_link((await self.get(site_user_id)).user.id)

    async def unlink(self, site_user_id: str) -> TelegramLink:
        return await self.linking.unlink(user_id=(await self.get(site_user_id)).user.id)
