"""The API an existing website calls with its own user ids, display names, roles and karma."""

from __future__ import annotations

from dataclasses import dataclass

from tgpass.domain.accounts import TelegramLink, User, checked_display_name, checked_role
from tgpass.errors import Conflict, InvalidInput, NotFound

from .linking import LinkingService, LinkOffer
from .ports import AccountStore


@dataclass(frozen=True, slots=True)
class SiteUser:
    user: User
    link: TelegramLink | None


def _site_id(site_user_id: str) -> str:
    if not 1 <= len(site_user_id) <= 128 or not site_user_id.isprintable():
        raise InvalidInput("a site user id is 1-128 printable characters", field="site_user_id")
    return site_user_id


class SiteService:
    def __init__(self, accounts: AccountStore, linking: LinkingService) -> None:
        self.accounts = accounts
        self.linking = linking

    async def upsert(
        self, site_user_id: str, *, display_name: str, role: str = "member", karma: int = 0
    ) -> tuple[SiteUser, bool]:
        """Create or update the account known by the site's own id; True when created."""
        key = _site_id(site_user_id)
        name, role = checked_display_name(display_name), checked_role(role)
        if not -(2**62) <= karma <= 2**62:
            raise InvalidInput("karma is out of range", field="karma")
        existing = await self.accounts.find_user(site_user_id=key)
        created = existing is None
        if existing is None:
            try:
                user = await self.accounts.create_user(
                    display_name=name, site_user_id=key, role=role, karma=karma
                )
            except Conflict:  # created by a concurrent call: update it instead
                created = False
                found = await self.accounts.find_user(site_user_id=key)
                if found is None:
                    raise
                user = await self.accounts.update_user(
                    found.id, display_name=name, role=role, karma=karma
                )
        else:
            user = await self.accounts.update_user(
                existing.id, display_name=name, role=role, karma=karma
            )
        return SiteUser(user, await self.accounts.telegram_link(user_id=user.id)), created

    async def get(self, site_user_id: str) -> SiteUser:
        user = await self.accounts.find_user(site_user_id=_site_id(site_user_id))
        if user is None:
            raise NotFound(f"no user {site_user_id!r}")
        return SiteUser(user, await self.accounts.telegram_link(user_id=user.id))

    async def offer_link(self, site_user_id: str) -> LinkOffer:
        return await self.linking.offer_link((await self.get(site_user_id)).user.id)

    async def unlink(self, site_user_id: str) -> TelegramLink:
        return await self.linking.unlink(user_id=(await self.get(site_user_id)).user.id)
