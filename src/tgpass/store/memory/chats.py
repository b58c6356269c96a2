"""Gated chats in memory, inside a ``MemoryUnitOfWork`` (which holds the database's lock):
the same contract as SQL."""

from __future__ import annotations

from dataclasses import replace

from tgpass.domain.gating import Chat, ChatRule, Invitation, Member, MemberStatus
from tgpass.errors import Conflict, NotFound
from tgpass.service.uow import AuditEntry, ChatStore

from .database import MemoryDatabase

MAX_REASON = 500


class MemoryChats(ChatStore):
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def _known(self, chat_id: int) -> None:
        if chat_id not in self.db.tables.chats:
            raise NotFound(f"no gated chat {chat_id}")

    async def upsert_chat(self, chat: Chat) -> None:
        self.db.tables.chats[chat.chat_id] = chat

    async def get_chat(self, chat_id: int) -> Chat | None:
        return self.db.tables.chats.get(chat_id)

    async def list_chats(self) -> list[Chat]:
        return [chat for _, chat in sorted(self.db.tables.chats.items())]

    async def set_rule(self, chat_id: int, rule: ChatRule | None) -> None:
        self._known(chat_id)
        if rule is None:
            self.db.tables.chat_rules.pop(chat_id, None)
        else:
            self.db.tables.chat_rules[chat_id] = rule

    async def get_rule(self, chat_id: int) -> ChatRule | None:
        return self.db.tables.chat_rules.get(chat_id)

    async def record_member(
        self, chat_id: int, telegram_id: int, status: MemberStatus, *, now: float
    ) -> None:
        self._known(chat_id)
        self.db.tables.chat_members[(chat_id, telegram_id)] = status

    async def members(self, chat_id: int) -> list[Member]:
        found = [
            Member(telegram_id, status)
            for (chat, telegram_id), status in self.db.tables.chat_members.items()
            if chat == chat_id
        ]
        return sorted(found, key=lambda m: m.telegram_id)

    async def add_invite(self, chat_id: int, invite: Invitation, *, now: float) -> None:
        self._known(chat_id)
        invites = self.db.tables.chat_invites
        if (chat_id, invite.name) in invites or any(
            i.link_hash == invite.link_hash for i, _ in invites.values()
        ):
            raise Conflict(f"an invite named {invite.name!r} or with that link exists")
        invites[(chat_id, invite.name)] = (invite, "live")

    async def revoke_invite(self, chat_id: int, name: str, *, now: float) -> bool:
        found = self.db.tables.chat_invites.get((chat_id, name))
        if found is None or found[1] != "live":
            return False
        self.db.tables.chat_invites[(chat_id, name)] = (found[0], "revoked")
        return True

    async def consume_invite(
        self, chat_id: int, link_hash: str, *, telegram_id: int, now: float
    ) -> Invitation | None:
        for (chat, name), (invite, state) in self.db.tables.chat_invites.items():
            if chat == chat_id and invite.link_hash == link_hash:
                if state != "live" or invite.telegram_id != telegram_id or not invite.live(now):
                    return None
                self.db.tables.chat_invites[(chat, name)] = (invite, "used")
                return invite
        return None

    async def live_invites(self, chat_id: int, *, now: float) -> list[Invitation]:
        found = [
            invite
            for (chat, _), (invite, state) in self.db.tables.chat_invites.items()
            if chat == chat_id and state == "live" and invite.live(now)
        ]
        return sorted(found, key=lambda i: i.name)

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> bool:
        t = self.db.tables
        for entry_id, entry in t.chat_audit.items():
            if entry.chat_id == old_chat_id:
                t.chat_audit[entry_id] = replace(entry, chat_id=new_chat_id)
        old = t.chats.get(old_chat_id)
        if old is None or old_chat_id == new_chat_id:
            return old is not None
        # Telegram migrates groups to supergroups only.
        t.chats.setdefault(new_chat_id, replace(old, chat_id=new_chat_id, type="supergroup"))
        del t.chats[old_chat_id]
        rule = t.chat_rules.pop(old_chat_id, None)
        if rule is not None:
            t.chat_rules.setdefault(new_chat_id, rule)
        # Members and invites move unless the new chat holds one with the same key already.
        for (chat, telegram_id), status in list(t.chat_members.items()):
            if chat == old_chat_id:
                del t.chat_members[(chat, telegram_id)]
                t.chat_members.setdefault((new_chat_id, telegram_id), status)
        for (chat, name), held in list(t.chat_invites.items()):
            if chat == old_chat_id:
                del t.chat_invites[(chat, name)]
                t.chat_invites.setdefault((new_chat_id, name), held)
        return True

    async def audit(
        self,
        chat_id: int,
        action: str,
        *,
        telegram_id: int | None,
        user_id: int | None,
        reason: str,
        now: float,
    ) -> None:
        t = self.db.tables
        t.last_audit_id += 1
        t.chat_audit[t.last_audit_id] = AuditEntry(
            t.last_audit_id, chat_id, action, telegram_id, user_id, reason[:MAX_REASON], now
        )

    async def audit_log(
        self, *, chat_id: int | None = None, user_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        found = [
            entry
            for entry in self.db.tables.chat_audit.values()
            if (chat_id is None or entry.chat_id == chat_id)
            and (user_id is None or entry.user_id == user_id)
        ]
        return sorted(found, key=lambda e: -e.id)[:limit]
