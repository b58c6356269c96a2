"""The account lifecycle told to the site: a subscriber of ``AccountEvents`` that announces
each change in the transaction that made it (sign-up, link, unlink, deletion, a change of
role or karma, the bot blocked or allowed again, a phone shared)."""

from __future__ import annotations

from typing import Any

from tgpass.service.events import AccountChanged
from tgpass.service.uow import UnitOfWork

from .about import ids_of
from .announcer import Announcer, user_subject

SIMPLE = {
    "link": "account.linked",
    "relink": "account.linked",
    "unlink": "account.unlinked",
    "bot_blocked": "telegram.bot_blocked",
    "bot_unblocked": "telegram.bot_unblocked",
    "phone": "telegram.phone_shared",
}


class AccountAnnouncements:
    """``events.subscribe(AccountAnnouncements(announcer))``."""

    def __init__(self, announcer: Announcer) -> None:
        self.announcer = announcer

    async def __call__(self, tx: UnitOfWork, event: AccountChanged) -> None:
        for kind, data in await self._events(tx, event):
            await self.announcer.announce(tx, kind, data, subject=user_subject(event.user_id))

    async def _events(
        self, tx: UnitOfWork, event: AccountChanged
    ) -> list[tuple[str, dict[str, Any]]]:
        if event.what == "deleted":  # the account is gone: the publisher said what it was
            deleted = {
                "user_id": event.user_id,
                "site_user_id": event.site_user_id,
                "telegram_id": event.telegram_id,
            }
            return [("account.deleted", deleted)]
        user = await tx.accounts.get_user(event.user_id)
        if user is None:
            return []
        link = await tx.accounts.telegram_link(user_id=user.id)
        telegram_id = event.telegram_id
        if telegram_id is None and link is not None:
            telegram_id = link.profile.telegram_id
        ids = ids_of(user.id, user, telegram_id)
        standing = {"role": user.role, "karma": user.karma}
        if event.what == "signup" or (event.what == "site" and event.before is None):
            made = {**ids, "display_name": user.display_name, "username": user.username}
            found = [("account.signed_up", {**made, **standing})]
            if link is not None:  # a Telegram sign-up is linked from the start
                found.append(("account.linked", {**ids, **_telegram(link.profile.username)}))
            return found
        if event.what == "site" and event.before is not None:
            before = {"previous_role": event.before.role, "previous_karma": event.before.karma}
            return [("account.standing_changed", {**ids, **standing, **before})]
        kind = SIMPLE.get(event.what)
        if kind is None:  # reachable: nothing the site hears of
            return []
        if kind == "account.linked" and link is not None:
            return [(kind, {**ids, **_telegram(link.profile.username)})]
        if kind == "telegram.phone_shared":
            return [(kind, {**ids, "phone_number": link.phone_number if link else None})]
        return [(kind, ids)]


def _telegram(username: str | None) -> dict[str, Any]:
    return {"telegram_username": username}
