"""Notifications: what a site asks to send, accepted into the outbox, and the sender that
delivers it within Telegram's limits."""

from .notifications import Accepted, Audience, NotificationService, NotificationStatus
from .sender import Sender, SenderConfig

__all__ = [
    "Accepted",
    "Audience",
    "NotificationService",
    "NotificationStatus",
    "Sender",
    "SenderConfig",
]
