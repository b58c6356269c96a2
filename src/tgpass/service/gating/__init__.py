"""Gated chats: who may be in which chat, kept so by the reconciler, join requests answered,
what the bot does in the chats (invites, removals, the audit trail) and hears of them (its
feature of the bot)."""

from .bot import GatingFeature
from .service import AuditLine, ChatView, GatingConfig, GatingService, UserInChat

__all__ = ["AuditLine", "ChatView", "GatingConfig", "GatingFeature", "GatingService", "UserInChat"]
