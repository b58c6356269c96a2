"""What tests of gated chats share: the bot's rights there, and a chat made known to the
service as the bot's ``my_chat_member`` would make it."""

from __future__ import annotations

from tgpass.bootstrap import Services
from tgpass.service.uow import UnitOfWork

ADMIN = {"can_invite_users": True, "can_restrict_members": True}


async def bot_made_admin(
    services: Services, tx: UnitOfWork, chat_id: int, title: str = "Karma 100+"
) -> None:
    await services.gating.bot_status(
        tx,
        chat_id=chat_id,
        title=title,
        chat_type="supergroup",
        status="administrator",
        rights=frozenset(ADMIN),
    )
