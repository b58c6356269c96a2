"""Gated chats in SQL, one repository each: chats and their rules, members and the unbans
owed, invite links, join requests, reconcile requests, the audit trail."""

from .audit import SqlAuditLog
from .chats import SqlChats
from .invites import SqlInvites
from .join_requests import SqlJoinRequests
from .members import SqlMembers
from .reconcile_requests import SqlReconcileRequests

__all__ = [
    "SqlAuditLog",
    "SqlChats",
    "SqlInvites",
    "SqlJoinRequests",
    "SqlMembers",
    "SqlReconcileRequests",
]
