"""A group that became a supergroup: its record, rule, members, invites, join requests and
audit trail follow it to its new id, in the caller's transaction."""

from __future__ import annotations

from tgpass.service.uow import UnitOfWork


async def migrate_chat(tx: UnitOfWork, old_chat_id: int, new_chat_id: int) -> bool:
    """Move everything of the old chat to the new id; what the new id already holds is kept
    over the old's. False when the old chat was unknown (its audit trail moves all the
    same)."""
    await tx.audit.move_chat(old_chat_id, new_chat_id)
    if old_chat_id == new_chat_id:
        return await tx.chats.get_chat(old_chat_id) is not None
    if not await tx.chats.copy_chat(old_chat_id, new_chat_id):
        return False
    # the new chat is known now: what belongs to the old one can follow it
    await tx.members.move_chat(old_chat_id, new_chat_id)
    await tx.invites.move_chat(old_chat_id, new_chat_id)
    await tx.join_requests.move_chat(old_chat_id, new_chat_id)
    await tx.chats.delete_chat(old_chat_id)
    return True
