"""Opening invite links, join requests and Bot API 10.1's join request queries.

Telegram's rules: a member who opens any link of the chat, even a dead one, is just shown the
chat; someone whose request waits is told so; expired, revoked and used-up links admit nobody
else; a link with
creates_join_request makes a request instead, which the chat's administrator bots with
can_invite_users receive as ``chat_join_request`` and answer with approve/declineChatJoinRequest;
a request's user_chat_id may be messaged for 5 minutes.

A chat may have a *guard bot* (``ChatFullInfo.guard_bot``): a bot that supports join request
queries (``getMe().supports_join_request_queries``) assigned to process its requests. It alone
receives each request first, with a ``query_id``, and answers within 10 seconds with
``answerChatJoinRequestQuery(chat_join_request_query_id, result)``: ``approve``, ``decline``,
or ``queue`` to leave the decision to the other administrators, who then receive the request
without a ``query_id``. A late answer is refused, and the request is queued.
"""

from __future__ import annotations

import secrets

from . import membership
from .errors import Invalid, NotFound, Refused, bad_request
from .world import JOIN_REQUEST_DM_WINDOW, Bot, Chat, InviteLink, JoinRequest, Json, World

QUERY_SECONDS = 10
QUERY_RESULTS = frozenset({"approve", "decline", "queue"})
# What opening an invite link did (the ``outcome`` of the users' API)
JOINED = "joined"
REQUEST_SENT = "join request sent"
REQUEST_PENDING = "join request pending"
ALREADY_MEMBER = "already a member"


def open_invite(world: World, user_id: int, invite_link: str) -> str:
    """A user opens an invite link: joins, or sends a join request. Returns what happened.
    Whether the link still works matters only to those not in the chat nor waiting."""
    chat, link = membership.find_invite(world, invite_link)
    if chat.is_member(user_id):
        return ALREADY_MEMBER
    if user_id in chat.join_requests:
        return REQUEST_PENDING
    if not _usable(world, link):
        raise Refused("This invite link has expired.", invite_link=invite_link)
    banned = chat.members.get(user_id)
    if banned is not None and banned.status == "kicked":
        raise Refused(f"You are banned from {chat.title}.", chat_id=chat.id)
    if link.creates_join_request:
        request_to_join(world, user_id, chat, link)
        return REQUEST_SENT
    membership.join(world, user_id, chat, link)
    return JOINED


def _usable(world: World, link: InviteLink) -> bool:
    return (
        not link.is_revoked
        and (link.expire_date is None or link.expire_date > world.now())
        and (link.member_limit is None or link.joined < link.member_limit)
    )


def pending_links(world: World, user_id: int) -> list[str]:
    """The invite links through which ``user_id`` asked to join and waits for an answer."""
    return [
        request.invite_link
        for chat in world.chats.values()
        if (request := chat.join_requests.get(user_id)) is not None and request.invite_link
    ]


def request_to_join(world: World, user_id: int, chat: Chat, link: InviteLink | None) -> None:
    request = JoinRequest(
        user_id=user_id, date=world.now(), invite_link=link.invite_link if link else None
    )
    chat.join_requests[user_id] = request
    guard = guard_bot(world, chat)
    if guard is not None:
        request.query_id = str(secrets.randbits(63))
        request.query_bot_id = guard.id
        _offer(world, chat, request, guard, query_id=request.query_id)
    else:
        _offer_to_admins(world, chat, request)


def _handlers(world: World, chat: Chat, first: int | None) -> list[Bot]:
    """The bots that receive a chat's join requests: administrators with can_invite_users,
    the link's creator first."""
    found = [
        world.bots[uid] for uid in chat.members if uid in world.bots and _may_invite(chat, uid)
    ]
    return sorted(found, key=lambda bot: bot.id != first)


def _may_invite(chat: Chat, bot_id: int) -> bool:
    member = chat.members.get(bot_id)
    return (
        member is not None
        and member.status == "administrator"
        and bool(member.rights.get("can_invite_users"))
    )


def _offer_to_admins(
    world: World, chat: Chat, request: JoinRequest, *, besides: int | None = None
) -> None:
    link = chat.invite_links.get(request.invite_link or "")
    for bot in _handlers(world, chat, link.creator_id if link else None):
        if bot.id != besides:
            _offer(world, chat, request, bot)


def _offer(
    world: World, chat: Chat, request: JoinRequest, bot: Bot, *, query_id: str | None = None
) -> None:
    world.dialog(bot.id, request.user_id).may_write_until = world.now() + JOIN_REQUEST_DM_WINDOW
    world.enqueue(bot, "chat_join_request", join_request_json(world, chat, request, query_id))


def join_request_json(
    world: World, chat: Chat, request: JoinRequest, query_id: str | None = None
) -> Json:
    data: Json = {
        "chat": chat.as_chat(),
        "from": world.account(request.user_id).as_user(),
        "user_chat_id": request.user_id,
        "date": request.date,
    }
    if request.bio:
        data["bio"] = request.bio
    link = chat.invite_links.get(request.invite_link or "")
    if link is not None:
        data["invite_link"] = link.as_json(world)
    if query_id is not None:
        data["query_id"] = query_id
    return data


def answer_join_request(world: World, bot: Bot, chat: Chat, user_id: int, *, approve: bool) -> None:
    membership.require_admin(world, chat, bot, "can_invite_users")
    request = chat.join_requests.pop(user_id, None)
    if request is None:
        raise bad_request("HIDE_REQUESTER_MISSING")
    if approve:
        link = chat.invite_links.get(request.invite_link or "")
        membership.join(world, user_id, chat, link, approved_by=bot.id)


# -- join request queries (Bot API 10.1) ----------------------------------------------------


def guard_bot(world: World, chat: Chat) -> Bot | None:
    """The chat's guard bot, while it may still process requests."""
    if chat.guard_bot_id is None or not _may_invite(chat, chat.guard_bot_id):
        return None
    return world.bots.get(chat.guard_bot_id)


def assign_guard_bot(world: World, chat: Chat, bot_id: int | None) -> None:
    """The chat's owner assigns (or, with None, unassigns) the bot processing its requests."""
    if bot_id is not None:
        bot = world.bots.get(bot_id)
        if bot is None:
            raise NotFound("There is no such bot.", bot_id=bot_id)
        if not bot.join_request_queries:
            raise Invalid(f"@{bot.username} does not support join request queries")
        if not _may_invite(chat, bot_id):
            raise Invalid("the guard bot must be an administrator with can_invite_users")
    chat.guard_bot_id = bot_id


def answer_query(world: World, bot: Bot, query_id: str, result: str) -> None:
    if result not in QUERY_RESULTS:
        raise bad_request("result must be one of approve, decline or queue")
    found = next(
        (
            (chat, request)
            for chat in world.chats.values()
            for request in chat.join_requests.values()
            if request.query_id == query_id and request.query_bot_id == bot.id
        ),
        None,
    )
    if found is None:
        raise bad_request("QUERY_ID_INVALID")
    chat, request = found
    request.query_id = request.query_bot_id = None
    if world.now() > request.date + QUERY_SECONDS:
        _offer_to_admins(world, chat, request, besides=bot.id)
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if result == "queue":
        _offer_to_admins(world, chat, request, besides=bot.id)
        return
    chat.join_requests.pop(request.user_id)
    if result == "approve":
        link = chat.invite_links.get(request.invite_link or "")
        membership.join(world, request.user_id, chat, link, approved_by=bot.id)
