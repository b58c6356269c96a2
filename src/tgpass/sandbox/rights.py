"""Administrator rights and member permissions as Bot API 10.3 shapes them.

``ChatAdministratorRights`` and ``ChatMemberAdministrator`` carry every right below that is
required; the optional ones exist only for some kinds of chat (channels, or groups and
supergroups). Clients built on Bot API 10.3 refuse an administrator without a required one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import Invalid

Json = dict[str, Any]

REQUIRED_ADMIN_RIGHTS = (
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)
_CHANNEL_RIGHTS = ("can_post_messages", "can_edit_messages", "can_manage_direct_messages")
_GROUP_RIGHTS = ("can_pin_messages", "can_manage_tags")
_SUPERGROUP_RIGHTS = ("can_manage_topics",)
ALL_ADMIN_RIGHTS = frozenset(
    REQUIRED_ADMIN_RIGHTS + _CHANNEL_RIGHTS + _GROUP_RIGHTS + _SUPERGROUP_RIGHTS
)

# ChatPermissions: what plain members may do (Bot API 10.3 lists them all as optional).
MEMBER_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
_NOT_BY_DEFAULT = frozenset({"can_change_info", "can_pin_messages", "can_manage_topics"})


def optional_rights(chat_type: str) -> tuple[str, ...]:
    if chat_type == "channel":
        return _CHANNEL_RIGHTS
    if chat_type == "supergroup":
        return _GROUP_RIGHTS + _SUPERGROUP_RIGHTS
    return _GROUP_RIGHTS


def checked_rights(given: Mapping[str, Any] | None) -> Json:
    """Rights as a caller gives them: known names with boolean values only. The refusal's
    words also end a Bot API description (``can't parse keyboard button: ...``), so they stay
    Telegram's style."""
    rights = dict(given or {})
    unknown = sorted(set(rights) - ALL_ADMIN_RIGHTS)
    if unknown:
        raise Invalid(f"no such administrator rights: {', '.join(unknown)}", rights=unknown)
    if not all(isinstance(value, bool) for value in rights.values()):
        raise Invalid("administrator rights are true or false")
    return rights


def admin_rights(chat_type: str, granted: Mapping[str, Any]) -> Json:
    """Every right an administrator of a ``chat_type`` chat has or lacks, as Telegram lists
    them; ``can_manage_chat`` is implied by any other right."""
    names = REQUIRED_ADMIN_RIGHTS + optional_rights(chat_type)
    rights = {name: bool(granted.get(name, False)) for name in names}
    rights["can_manage_chat"] = True
    return rights


def member_permissions(chat_type: str) -> Json:
    """What members of a new group may do by default."""
    permissions = {name: name not in _NOT_BY_DEFAULT for name in MEMBER_PERMISSIONS}
    if chat_type != "supergroup":
        del permissions["can_manage_topics"]
    return permissions
