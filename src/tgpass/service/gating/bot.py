"""The bot's gated-chats feature: the bot's own rights in groups, members joining and
leaving, join requests, group upgrades, and ``/newchat`` for staff to hand the bot a group."""

from __future__ import annotations

from collections.abc import Sequence

from tgpass.domain.delivery import Button
from tgpass.domain.gating import STAFF_ROLE
from tgpass.service.bot.core import (
    BotStatusChange,
    ChatShared,
    Command,
    Feature,
    GroupMigrated,
    JoinRequested,
    MemberChange,
    Message,
    Route,
    Turn,
    on,
)
from tgpass.service.gating.service import GatingService

NEW_CHAT_REQUEST = 1  # the request_id of /newchat's button


class GatingFeature(Feature):
    def __init__(self, gating: GatingService) -> None:
        self.gating = gating

    def routes(self) -> Sequence[Route]:
        return (
            on(BotStatusChange, self._bot_status),
            on(MemberChange, self._member),
            on(JoinRequested, self._join_request),
            on(ChatShared, self._chat_shared),
            on(GroupMigrated, self._migrated),
        )

    def commands(self) -> dict[str, Command]:
        return {"/newchat": self._new_chat}

    async def _bot_status(self, turn: Turn, event: BotStatusChange) -> None:
        await self.gating.bot_status(
            turn.tx,
            chat_id=event.chat_id,
            title=event.title,
            chat_type=event.chat_type,
            status=event.status,
            rights=event.rights,
        )

    async def _member(self, turn: Turn, event: MemberChange) -> None:
        await self.gating.member_status(
            turn.tx,
            chat_id=event.chat_id,
            telegram_id=event.telegram_id,
            status=event.status,
            by_self=event.by_self,
        )

    async def _join_request(self, turn: Turn, event: JoinRequested) -> None:
        await self.gating.join_requested(turn.tx, event.request)

    async def _migrated(self, turn: Turn, event: GroupMigrated) -> None:
        await self.gating.migrated(turn.tx, event.old_chat_id, event.new_chat_id)

    async def _is_staff(self, turn: Turn, telegram_id: int) -> bool:
        user = await turn.tx.accounts.find_user(telegram_id=telegram_id)
        return user is not None and user.role == STAFF_ROLE

    async def _new_chat(self, turn: Turn, message: Message, _: str) -> None:
        if not await self._is_staff(turn, message.sender.telegram_id):
            turn.say(message.chat_id, turn.texts.staff_only)
            return
        button = Button(turn.texts.new_chat_button, request_chat=NEW_CHAT_REQUEST)
        turn.say(message.chat_id, turn.texts.new_chat(), buttons=((button,),))

    async def _chat_shared(self, turn: Turn, event: ChatShared) -> None:
        if event.request_id != NEW_CHAT_REQUEST:
            return
        if not await self._is_staff(turn, event.sender.telegram_id):
            turn.say(event.chat_id, turn.texts.staff_only)
            return
        known = await turn.tx.chats.get_chat(event.shared_chat_id)
        title = event.title or (known.title if known else str(event.shared_chat_id))
        turn.say(event.chat_id, turn.texts.chat_received(title, known is not None))
