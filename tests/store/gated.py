"""What the contracts of the gating repositories share: chats, invites, join requests."""

from __future__ import annotations

from tgpass.domain.gating import Chat, Invitation, JoinRequest

NOW = 1_800_000_000.0
RIGHTS = frozenset({"can_invite_users", "can_restrict_members"})
BIG = 2**40  # Telegram ids exceed 2**32
GROUP = Chat(-4001, "Old group", "group", RIGHTS, paused_reason="a basic group", managed=False)
SUPER = Chat(-100_4001, "Web masters", "supergroup", RIGHTS)


def invite(n: int, *, telegram_id: int | None = None, expires: float = 600) -> Invitation:
    link = f"https://t.me/+gate{n:012x}"
    return Invitation(f"gate-{n}", n, telegram_id or BIG + n, NOW + expires, link)


def join(telegram_id: int, at: float, *, chat: int = SUPER.chat_id) -> JoinRequest:
    return JoinRequest(
        chat, telegram_id, telegram_id, at, query_id=f"q{at}", invite_link="l", language_code="ru"
    )
