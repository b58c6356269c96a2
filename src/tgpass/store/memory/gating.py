"""Gated chats in memory, one repository each for chats and rules, members, invites, join
requests, reconcile requests and the audit trail, inside a ``MemoryUnitOfWork`` (which holds
the database's lock): the same contracts as SQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from tgpass.domain.gating import (
    PRESENT,
    Chat,
    ChatRule,
    Invitation,
    JoinRequest,
    Member,
    MemberStatus,
)
from tgpass.errors import Conflict, NotFound
from tgpass.service.uow import (
    AuditEntry,
    AuditLog,
    ChatRepository,
    GoneSince,
    InviteRepository,
    JoinRequestRepository,
    MemberRepository,
    ReconcileRequests,
)

from .database import MemoryDatabase

MAX_REASON = 500


class _OnDatabase:
    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def _known(self, chat_id: int) -> None:
        if chat_id not in self.db.tables.chats:
            raise NotFound(f"no gated chat {chat_id}")


class MemoryChats(_OnDatabase, ChatRepository):
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

    async def rules(self) -> dict[int, ChatRule]:
        return dict(self.db.tables.chat_rules)

    async def copy_chat(self, old_chat_id: int, new_chat_id: int) -> bool:
        t = self.db.tables
        old = t.chats.get(old_chat_id)
        if old is None:
            return False
        # Telegram migrates groups to supergroups only.
        t.chats.setdefault(new_chat_id, replace(old, chat_id=new_chat_id, type="supergroup"))
        rule = t.chat_rules.get(old_chat_id)
        if rule is not None:
            t.chat_rules.setdefault(new_chat_id, rule)
        return True

    async def delete_chat(self, chat_id: int) -> None:
        t = self.db.tables
        t.chats.pop(chat_id, None)
        t.chat_rules.pop(chat_id, None)
        # what the tables' foreign keys cascade to in SQL
        held: tuple[dict[Any, Any], ...] = (
            t.chat_members,
            t.chat_member_times,
            t.owed_unbans,
            t.join_requests,
            t.chat_invites,
        )
        for table in held:
            for key in [key for key in table if key[0] == chat_id]:
                del table[key]


class MemoryMembers(_OnDatabase, MemberRepository):
    async def record(
        self,
        chat_id: int,
        telegram_id: int,
        status: MemberStatus,
        *,
        now: float,
        user_id: int | None = None,
        unless_gone_since: float | None = None,
    ) -> MemberStatus | None:
        self._known(chat_id)
        members = self.db.tables.chat_members
        key = (chat_id, telegram_id)
        held = members.get(key)
        written = self.db.tables.chat_member_times.get(key)
        if (
            unless_gone_since is not None
            and held is not None
            and held.status not in PRESENT
            and written is not None
            and written > unless_gone_since
        ):
            raise GoneSince(f"{telegram_id} left chat {chat_id} since")
        self.db.tables.chat_member_times[key] = now
        if status not in PRESENT:
            user_id = None
        elif user_id is None:
            user_id = held.user_id if held is not None else None
        members[(chat_id, telegram_id)] = Member(telegram_id, status, user_id)
        if status != "kicked":
            self.db.tables.owed_unbans.pop((chat_id, telegram_id), None)
        return held.status if held is not None else None

    async def of_account(self, telegram_id: int) -> dict[int, Member]:
        return {
            chat: member
            for (chat, member_id), member in self.db.tables.chat_members.items()
            if member_id == telegram_id
        }

    async def of_chat(self, chat_id: int) -> list[Member]:
        found = [
            member for (chat, _), member in self.db.tables.chat_members.items() if chat == chat_id
        ]
        return sorted(found, key=lambda m: m.telegram_id)

    async def present_counts(self, *, chat_id: int | None = None) -> dict[int, int]:
        return dict(
            Counter(
                chat
                for (chat, _), member in self.db.tables.chat_members.items()
                if member.status in PRESENT and chat_id in (None, chat)
            )
        )

    async def owe_unban(self, chat_id: int, telegram_id: int, *, now: float) -> None:
        self._known(chat_id)
        if (chat_id, telegram_id) not in self.db.tables.chat_members:
            self.db.tables.chat_members[(chat_id, telegram_id)] = Member(telegram_id, "kicked")
            self.db.tables.chat_member_times[(chat_id, telegram_id)] = now
        self.db.tables.owed_unbans[(chat_id, telegram_id)] = now

    async def owed_unbans(self) -> list[tuple[int, int]]:
        return sorted(self.db.tables.owed_unbans)

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        t = self.db.tables
        self._known(new_chat_id)
        for (chat, telegram_id), member in list(t.chat_members.items()):
            if chat == old_chat_id:
                del t.chat_members[(chat, telegram_id)]
                written = t.chat_member_times.pop((chat, telegram_id), 0.0)
                if (new_chat_id, telegram_id) not in t.chat_members:
                    t.chat_members[(new_chat_id, telegram_id)] = member
                    t.chat_member_times[(new_chat_id, telegram_id)] = written
        for chat, telegram_id in [key for key in t.owed_unbans if key[0] == old_chat_id]:
            owed = t.owed_unbans.pop((chat, telegram_id))
            t.owed_unbans.setdefault((new_chat_id, telegram_id), owed)


class MemoryInvites(_OnDatabase, InviteRepository):
    async def add(self, chat_id: int, invite: Invitation, *, now: float) -> None:
        self._known(chat_id)
        invites = self.db.tables.chat_invites
        if (chat_id, invite.name) in invites or any(
            i.link_hash == invite.link_hash for i, _ in invites.values()
        ):
            raise Conflict(f"an invite named {invite.name!r} or with that link exists")
        invites[(chat_id, invite.name)] = (invite, "live")

    async def revoke(self, chat_id: int, name: str, *, now: float) -> bool:
        found = self.db.tables.chat_invites.get((chat_id, name))
        if found is None or found[1] != "live":
            return False
        self.db.tables.chat_invites[(chat_id, name)] = (found[0], "revoked")
        return True

    async def consume(
        self, chat_id: int, link_hash: str, *, telegram_id: int, now: float
    ) -> Invitation | None:
        for (chat, name), (invite, state) in self.db.tables.chat_invites.items():
            if chat == chat_id and invite.link_hash == link_hash:
                if state != "live" or invite.telegram_id != telegram_id or not invite.live(now):
                    return None
                self.db.tables.chat_invites[(chat, name)] = (invite, "used")
                return invite
        return None

    def _live(self, now: float) -> list[tuple[int, Invitation]]:
        return [
            (chat, invite)
            for (chat, _), (invite, state) in self.db.tables.chat_invites.items()
            if state == "live" and invite.live(now)
        ]

    async def live(self, chat_id: int, *, now: float) -> list[Invitation]:
        found = [invite for chat, invite in self._live(now) if chat == chat_id]
        return sorted(found, key=lambda i: i.name)

    async def live_counts(self, *, now: float, chat_id: int | None = None) -> dict[int, int]:
        return dict(Counter(chat for chat, _ in self._live(now) if chat_id in (None, chat)))

    async def invited_to(self, user_id: int, *, now: float) -> set[int]:
        return {chat for chat, invite in self._live(now) if invite.user_id == user_id}

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        t = self.db.tables
        self._known(new_chat_id)
        for (chat, name), held in list(t.chat_invites.items()):
            if chat == old_chat_id:
                del t.chat_invites[(chat, name)]
                t.chat_invites.setdefault((new_chat_id, name), held)


class MemoryJoinRequests(_OnDatabase, JoinRequestRepository):
    async def add(self, request: JoinRequest) -> None:
        self._known(request.chat_id)
        key = (request.chat_id, request.telegram_id)
        self.db.tables.join_requests[key] = (request, request.at)

    async def due(self, *, now: float, limit: int) -> list[JoinRequest]:
        due = [r for r, next_at in self.db.tables.join_requests.values() if next_at <= now]
        return sorted(due, key=lambda r: (r.at, r.chat_id, r.telegram_id))[:limit]

    async def answered(self, chat_id: int, telegram_id: int, *, at: float) -> bool:
        held = self.db.tables.join_requests.get((chat_id, telegram_id))
        if held is None or held[0].at != at:
            return False
        del self.db.tables.join_requests[(chat_id, telegram_id)]
        return True

    async def postpone(self, chat_id: int, telegram_id: int, *, at: float, until: float) -> None:
        held = self.db.tables.join_requests.get((chat_id, telegram_id))
        if held is not None and held[0].at == at:
            request = replace(held[0], attempts=held[0].attempts + 1)
            self.db.tables.join_requests[(chat_id, telegram_id)] = (request, until)

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        t = self.db.tables
        self._known(new_chat_id)
        for (chat, telegram_id), waiting in list(t.join_requests.items()):
            if chat == old_chat_id:
                del t.join_requests[(chat, telegram_id)]
                moved = (replace(waiting[0], chat_id=new_chat_id), waiting[1])
                t.join_requests.setdefault((new_chat_id, telegram_id), moved)


class MemoryReconcileRequests(_OnDatabase, ReconcileRequests):
    async def add(self, reason: str, *, now: float) -> int:
        t = self.db.tables
        t.last_reconcile_request += 1
        t.reconcile_requests[t.last_reconcile_request] = reason
        return t.last_reconcile_request

    async def last(self) -> int:
        return max(self.db.tables.reconcile_requests, default=0)

    async def reconciled(self, upto: int) -> None:
        for number in [n for n in self.db.tables.reconcile_requests if n <= upto]:
            del self.db.tables.reconcile_requests[number]


class MemoryAuditLog(_OnDatabase, AuditLog):
    async def add(
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

    async def entries(
        self, *, chat_id: int | None = None, user_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        found = [
            entry
            for entry in self.db.tables.chat_audit.values()
            if (chat_id is None or entry.chat_id == chat_id)
            and (user_id is None or entry.user_id == user_id)
        ]
        return sorted(found, key=lambda e: -e.id)[:limit]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        audit = self.db.tables.chat_audit
        for entry_id, entry in audit.items():
            if entry.chat_id == old_chat_id:
                audit[entry_id] = replace(entry, chat_id=new_chat_id)
