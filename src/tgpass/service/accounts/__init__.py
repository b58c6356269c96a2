"""Accounts: sign-in (passwords, every Telegram source, throttling), sessions, linking a
Telegram account through the bot (its feature of the bot), and the API an existing website
calls."""

from .auth import AuthService
from .bot import LinkingFeature
from .cached import CachedAccountStore
from .linking import LinkingService, LinkOffer
from .passwords import Passwords
from .sessions import Session, SessionService
from .site import SiteService, SiteUser

__all__ = [
    "AuthService",
    "CachedAccountStore",
    "LinkOffer",
    "LinkingFeature",
    "LinkingService",
    "Passwords",
    "Session",
    "SessionService",
    "SiteService",
    "SiteUser",
]
