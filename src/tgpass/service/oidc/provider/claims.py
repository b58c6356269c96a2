"""Which scope releases which claims, and the claims of one account.

=========  ===============================================================================
scope      claims
=========  ===============================================================================
openid     ``sub``: stable per account, opaque (neither the row id nor the Telegram id)
profile    ``name``, ``preferred_username`` (the site's username, else the Telegram
           one), ``picture`` (the Telegram photo)
phone      ``phone_number``, ``phone_number_verified`` (shared from Telegram as the user's
           own contact, so Telegram has verified it)
telegram   ``telegram_id``, ``telegram_username``
site       ``roles``, ``karma``, ``site_user_id`` (the website's own id, when it has one)
chats      ``chats``: the gated chats the user is in, from the injected ``chats_of``
=========  ===============================================================================

A claim with no value (no Telegram account linked, no phone shared) is left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from tgpass.domain.accounts import TelegramLink, User
from tgpass.i18n import N_

ChatsOf = Callable[[int], Awaitable[list[dict[str, Any]]]]
"""The gated chats a user (by site user id) is in, as JSON objects."""

SCOPES: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("name", "preferred_username", "picture"),
    "phone": ("phone_number", "phone_number_verified"),
    "telegram": ("telegram_id", "telegram_username"),
    "site": ("roles", "karma", "site_user_id"),
    "chats": ("chats",),
}
DESCRIPTIONS: dict[str, str] = {
    "openid": N_("know it is you (an identifier for your account)"),
    "profile": N_("your name, username and picture"),
    "phone": N_("the phone number you shared with the bot"),
    "telegram": N_("your Telegram id and username"),
    "site": N_("your roles and karma on this site"),
    "chats": N_("the members-only Telegram chats you are in"),
}
"""What the consent page says each scope gives (in the site's catalog: the page translates
them as it shows them)."""
CLAIMS: tuple[str, ...] = tuple(claim for claims in SCOPES.values() for claim in claims)


async def no_chats(user_id: int) -> list[dict[str, Any]]:
    """``chats_of`` until gated chats are wired: none."""
    return []


def released(scopes: Iterable[str]) -> frozenset[str]:
    """The claims the scopes release."""
    return frozenset(claim for scope in scopes for claim in SCOPES.get(scope, ()))


def _phone(number: str) -> str:
    # Telegram sends the number with or without "+"; OpenID wants E.164 with it.
    return number if number.startswith("+") else f"+{number}"


async def claims_of(
    user: User,
    link: TelegramLink | None,
    *,
    subject: str,
    scopes: Iterable[str],
    chats_of: ChatsOf,
) -> dict[str, Any]:
    """The claims of ``user`` that ``scopes`` release."""
    wanted = released(scopes)
    profile = link.profile if link else None
    values: dict[str, Any] = {
        "sub": subject,
        "name": user.display_name,
        "preferred_username": user.username or (profile.username if profile else None),
        "picture": profile.photo_url if profile else None,
        "phone_number": _phone(link.phone_number) if link and link.phone_number else None,
        "telegram_id": profile.telegram_id if profile else None,
        "telegram_username": profile.username if profile else None,
        "roles": [user.role],
        "karma": user.karma,
        "site_user_id": user.site_user_id,
    }
    if values["phone_number"] is not None:
        values["phone_number_verified"] = True
    if "chats" in wanted:
        values["chats"] = await chats_of(user.id)
    return {k: v for k, v in values.items() if k in wanted and v is not None}
