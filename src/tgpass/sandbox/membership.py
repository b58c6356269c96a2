"""Membership of groups: invite links, joining, leaving, bans (join requests: join_requests).

Telegram's rules: member_limit (1-99999) and creates_join_request exclude each other; the bot
needs can_invite_users to manage links and can_restrict_members to ban; "removing" a member is
banChatMember then unbanChatMember, except in a basic group, which keeps no ban list: a ban
there only removes, and unbanChatMember is refused.
"""

from __future__ import annotations

import secrets
from typing import Any

from .errors import Invalid, NotFound, bad_request, forbidden
from .rights import checked_rights
from .world import Bot, Chat, InviteLink, Json, Member, World

_MISSING_RIGHT = {
    "can_invite_users": "not enough rights to manage chat invite links",
    "can_restrict_members": "not enough rights to restrict/unrestrict chat member",
}


def _notify_member_change(
    world: World, chat: Chat, user_id: int, old: Json, *, actor_id: int, via: Json | None = None
) -> None:
    """``my_chat_member`` to the bot whose membership changed (its rights alone included),
    ``chat_member`` to the bots administering the chat (if they asked for it). ``via``: how a
    member got in (``invite_link``, ``via_join_request``)."""
    new = world.member_json(chat, user_id)
    if old == new:
        return
    change = {
        "chat": chat.as_chat(),
        "from": world.participant(actor_id),
        "date": world.now(),
        "old_chat_member": old,
        "new_chat_member": new,
        **(via or {}),
    }
    if user_id in world.bots:
        world.enqueue(world.bots[user_id], "my_chat_member", change)
    for member_id, member in chat.members.items():
        if member_id in world.bots and member.status == "administrator" and member_id != user_id:
            world.enqueue(world.bots[member_id], "chat_member", change)


def set_status(
    world: World,
    chat: Chat,
    user_id: int,
    status: str,
    *,
    actor_id: int,
    until: int = 0,
    via: Json | None = None,
) -> None:
    old = world.member_json(chat, user_id)
    if status == "left":
        chat.members.pop(user_id, None)
    else:
        chat.members[user_id] = Member(user_id, status, until_date=until)
    _notify_member_change(world, chat, user_id, old, actor_id=actor_id, via=via)


def service_message(world: World, chat: Chat, content: Json) -> None:
    """A service message in a group, sent to every bot in it (channels have none)."""
    if chat.type == "channel":
        return
    message = world._store(chat, {"chat": chat.as_chat(), "date": world.now(), **content})
    for member_id in chat.members:
        if member_id in world.bots and chat.is_member(member_id):
            world.enqueue(world.bots[member_id], "message", message)


def require_admin(world: World, chat: Chat, bot: Bot, right: str) -> None:
    """The bot must administer ``chat`` with ``right`` (can_invite_users, ...)."""
    member = chat.members.get(bot.id)
    entitled = member is not None and (
        member.status == "creator"
        or (member.status == "administrator" and member.rights.get(right, False))
    )
    if not entitled:
        raise bad_request(_MISSING_RIGHT.get(right, "not enough rights"))


def join(
    world: World,
    user_id: int,
    chat: Chat,
    invite: InviteLink | None,
    *,
    approved_by: int | None = None,
) -> None:
    """``user_id`` joins: by ``invite`` (or added, when None), or let in by ``approved_by``
    answering a join request."""
    member = chat.members.get(user_id)
    if member is not None and member.status == "kicked":
        raise forbidden("user is banned in this chat")  # the client says "banned"
    if chat.is_member(user_id):
        return
    via: Json = {}
    if invite is not None:
        invite.joined += 1
        via["invite_link"] = invite.as_json(world)
    elif approved_by is not None:
        via["via_join_request"] = True  # a request made without a link
    actor = approved_by if approved_by is not None else user_id
    set_status(world, chat, user_id, "member", actor_id=actor, via=via)
    who = world.participant(user_id)
    service_message(world, chat, {"from": who, "new_chat_members": [who]})


def create_invite_link(
    world: World,
    bot: Bot,
    chat: Chat,
    *,
    name: str | None = None,
    expire_date: int | None = None,
    member_limit: int | None = None,
    creates_join_request: bool = False,
) -> InviteLink:
    require_admin(world, chat, bot, "can_invite_users")
    _check_link_terms(name, member_limit, creates_join_request)
    link = InviteLink(
        invite_link=f"https://t.me/+{secrets.token_urlsafe(12)}",
        creator_id=bot.id,
        creates_join_request=creates_join_request,
        name=name,
        expire_date=expire_date,
        member_limit=member_limit,
    )
    chat.invite_links[link.invite_link] = link
    return link


def edit_invite_link(
    world: World, bot: Bot, chat: Chat, invite_link: str, **terms: Any
) -> InviteLink:
    require_admin(world, chat, bot, "can_invite_users")
    link = _own_link(world, chat, bot, invite_link)
    merged = {
        "name": link.name,
        "member_limit": link.member_limit,
        "creates_join_request": link.creates_join_request,
        "expire_date": link.expire_date,
        **terms,
    }
    _check_link_terms(merged["name"], merged["member_limit"], merged["creates_join_request"])
    for key, value in merged.items():
        setattr(link, key, value)
    return link


def revoke_invite_link(world: World, bot: Bot, chat: Chat, invite_link: str) -> InviteLink:
    require_admin(world, chat, bot, "can_invite_users")
    link = _own_link(world, chat, bot, invite_link)
    link.is_revoked = True
    return link


def _own_link(world: World, chat: Chat, bot: Bot, invite_link: str) -> InviteLink:
    link = chat.invite_links.get(invite_link)
    if link is None:
        raise bad_request("INVITE_HASH_INVALID")
    if link.creator_id != bot.id:
        raise bad_request("CHAT_ADMIN_REQUIRED")
    return link


def find_invite(world: World, invite_link: str) -> tuple[Chat, InviteLink]:
    for chat in world.chats.values():
        link = chat.invite_links.get(invite_link)
        if link is not None:
            return chat, link
    raise NotFound("This invite link is not valid.", invite_link=invite_link)


def ban(world: World, bot: Bot, chat: Chat, user_id: int, until_date: int = 0) -> None:
    require_admin(world, chat, bot, "can_restrict_members")
    if user_id not in world.accounts and user_id not in world.bots:
        raise bad_request("user not found")
    if chat.members.get(user_id, Member(user_id, "left")).status == "creator":
        raise bad_request("can't remove chat owner")
    was_member = chat.is_member(user_id)
    # A basic group keeps no list of banned users: a ban only removes the member.
    status = "left" if chat.type == "group" else "kicked"
    set_status(world, chat, user_id, status, actor_id=bot.id, until=until_date)
    if was_member:
        service_message(
            world,
            chat,
            {"from": bot.as_user(), "left_chat_member": world.participant(user_id)},
        )


def unban(
    world: World, bot: Bot, chat: Chat, user_id: int, *, only_if_banned: bool = False
) -> None:
    if chat.type == "group":
        raise bad_request("method is available for supergroup and channel chats only")
    require_admin(world, chat, bot, "can_restrict_members")
    member = chat.members.get(user_id)
    if member is not None and member.status == "kicked":
        set_status(world, chat, user_id, "left", actor_id=bot.id)
    elif member is not None and chat.is_member(user_id) and not only_if_banned:
        # Telegram: unbanning a current member without only_if_banned removes them.
        if member.status == "creator":
            raise bad_request("can't remove chat owner")
        set_status(world, chat, user_id, "left", actor_id=bot.id)
        removed = {"from": bot.as_user(), "left_chat_member": world.participant(user_id)}
        service_message(world, chat, removed)


def leave(world: World, user_id: int, chat: Chat) -> None:
    if chat.is_member(user_id):
        if chat.members[user_id].status == "creator":
            raise Invalid(
                "The owner cannot leave: the sandbox cannot hand the chat to someone else.",
                chat_id=chat.id,
            )
        set_status(world, chat, user_id, "left", actor_id=user_id)
        who = world.participant(user_id)
        service_message(world, chat, {"from": who, "left_chat_member": who})


def _check_link_terms(
    name: str | None, member_limit: int | None, creates_join_request: bool
) -> None:
    if name is not None and len(name) > 32:
        raise bad_request("invite link name is too long")
    if member_limit is not None and not 1 <= member_limit <= 99999:
        raise bad_request("member limit must be between 1 and 99999")
    if member_limit is not None and creates_join_request:
        raise bad_request(
            "member limit can't be specified for links requiring administrator approval"
        )


def add_bot_to_chat(
    world: World, bot_id: int, chat_id: int, *, admin_rights: Json | None = None
) -> None:
    chat = world.chat(chat_id)
    old = world.member_json(chat, bot_id)
    was_member = chat.is_member(bot_id)
    status = "administrator" if admin_rights is not None else "member"
    chat.members[bot_id] = Member(bot_id, status, checked_rights(admin_rights))
    owner = world._owner(chat)
    _notify_member_change(world, chat, bot_id, old, actor_id=owner)
    if not was_member:
        added = {"from": world.participant(owner), "new_chat_members": [world.participant(bot_id)]}
        service_message(world, chat, added)
