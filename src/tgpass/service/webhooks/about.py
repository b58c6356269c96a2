"""What every event about an account names: tgpass's user id, the site's own id for it
(None when the account has none) and its Telegram id (None when it is not linked)."""

from __future__ import annotations

from typing import Any

from tgpass.domain.accounts import User
from tgpass.service.uow import UnitOfWork


def ids_of(user_id: int | None, user: User | None, telegram_id: int | None) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "site_user_id": user.site_user_id if user is not None else None,
        "telegram_id": telegram_id,
    }


async def about(
    tx: UnitOfWork, user_id: int | None, *, telegram_id: int | None = None
) -> dict[str, Any]:
    """The ids of the account as ``tx`` sees it; ``telegram_id`` given stands for its link."""
    user = None if user_id is None else await tx.accounts.get_user(user_id)
    if telegram_id is None and user is not None:
        link = await tx.accounts.telegram_link(user_id=user.id)
        telegram_id = link.profile.telegram_id if link is not None else None
    return ids_of(user_id, user, telegram_id)
