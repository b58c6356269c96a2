"""The Bot API methods the sandbox emulates, over the simulated ``World``.

Each method reads its ``Params`` and returns the ``result`` Telegram would; failures raise
``BotApiError``. ``getUpdates`` long-polls and so lives in the server (``app``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import join_requests, membership
from .commands import menu_key
from .errors import BotApiError, bad_request
from .formatting import apply_parse_mode
from .markup import checked_reply_markup, checked_text
from .params import Params
from .rights import member_permissions
from .world import Bot, Chat, Webhook, World

Json = dict[str, Any]
Method = Callable[[World, Bot, Params], Any]
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
UPDATE_KINDS = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
}

METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name.lower()] = function
        return function

    return register


def allowed_updates(params: Params) -> frozenset[str] | None:
    value = params.obj("allowed_updates")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request("can't parse allowed updates")
    return frozenset(v for v in value if v in UPDATE_KINDS)


@method("getMe")
def get_me(world: World, bot: Bot, p: Params) -> Json:
    return bot.get_me()


@method("setWebhook")
def set_webhook(world: World, bot: Bot, p: Params) -> bool:
    url = p.text("url") or ""
    if not url:
        bot.webhook = None
        return True
    if not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.text("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    connections = p.number("max_connections", default=40) or 40
    if not 1 <= connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    if p.has("allowed_updates"):
        bot.allowed_updates = allowed_updates(p)
    if p.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook = Webhook(url=url, secret_token=secret, max_connections=connections)
    return True


@method("deleteWebhook")
def delete_webhook(world: World, bot: Bot, p: Params) -> bool:
    bot.webhook = None
    if p.flag("drop_pending_updates"):
        bot.updates.clear()
    return True


@method("getWebhookInfo")
def get_webhook_info(world: World, bot: Bot, p: Params) -> Json:
    info: Json = {
        "url": bot.webhook.url if bot.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if bot.webhook is not None:
        info["max_connections"] = bot.webhook.max_connections
        info["ip_address"] = bot.webhook.ip_address
        if bot.webhook.last_error_date is not None:
            info["last_error_date"] = bot.webhook.last_error_date
            info["last_error_message"] = bot.webhook.last_error_message
        if bot.allowed_updates is not None:
            info["allowed_updates"] = sorted(bot.allowed_updates)
    return info


def _content(p: Params) -> Json:
    parse_mode = p.text("parse_mode")
    text, parsed = apply_parse_mode(checked_text(p.text("text"), parse_mode), parse_mode)
    if not text.strip():
        raise bad_request("message text is empty")
    content: Json = {"text": text}
    entities = parsed or p.obj("entities")
    if entities:
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise bad_request("can't parse entities JSON object")
        content["entities"] = entities
    markup = checked_reply_markup(p.obj("reply_markup"))
    if markup is not None and "inline_keyboard" in markup:
        content["reply_markup"] = markup
    return content


@method("sendMessage")
def send_message(world: World, bot: Bot, p: Params) -> Json:
    content = _content(p)  # validates reply_markup too
    markup = p.obj("reply_markup")
    keyboard = markup if markup is not None and "inline_keyboard" not in markup else None
    paid = p.flag("allow_paid_broadcast")  # Bot API 7.11: up to 1000 messages/s, for Stars
    return world.bot_message(bot, p.chat_id(), content, reply_keyboard=keyboard, paid=paid)


@method("editMessageText")
def edit_message_text(world: World, bot: Bot, p: Params) -> Json:
    target = world.resolve_chat(p.chat_id(), bot)
    message = world.find_message(target, p.number("message_id", required=True) or 0)
    if message["from"].get("id") != bot.id:
        raise bad_request("message can't be edited")
    content = _content(p)
    if message.get("text") == content["text"] and message.get("reply_markup") == content.get(
        "reply_markup"
    ):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    message.pop("reply_markup", None)
    message.update(content, edit_date=world.now())
    return message


@method("deleteMessage")
def delete_message(world: World, bot: Bot, p: Params) -> bool:
    target = world.resolve_chat(p.chat_id(), bot)
    message_id = p.number("message_id", required=True)
    for index, message in enumerate(target.messages):
        if message["message_id"] == message_id:
            del target.messages[index]
            return True
    raise bad_request("message to delete not found")


@method("answerCallbackQuery")
def answer_callback_query(world: World, bot: Bot, p: Params) -> bool:
    query_id = p.text("callback_query_id", required=True) or ""
    owner = world.callback_queries.get(query_id)
    if owner is None or owner[0] != bot.id:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    world.callback_answers[query_id] = {
        "text": p.text("text"),
        "show_alert": p.flag("show_alert"),
        "url": p.text("url"),
    }
    return True


@method("setMyCommands")
def set_my_commands(world: World, bot: Bot, p: Params) -> bool:
    commands = p.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand")
    for command in commands:
        if not (
            isinstance(command, dict)
            and re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", "")))
            and 1 <= len(str(command.get("description", ""))) <= 256
        ):
            raise bad_request("BOT_COMMAND_INVALID")
    key = menu_key(p)
    menu = [{"command": c["command"], "description": c["description"]} for c in commands]
    if menu:
        bot.commands[key] = menu
    else:  # an empty list deletes the menu, as deleteMyCommands does
        bot.commands.pop(key, None)
    return True


@method("getMyCommands")
def get_my_commands(world: World, bot: Bot, p: Params) -> list[Json]:
    """Exactly the scope and language asked for: empty when none were set for them."""
    return bot.commands.get(menu_key(p), [])


@method("deleteMyCommands")
def delete_my_commands(world: World, bot: Bot, p: Params) -> bool:
    bot.commands.pop(menu_key(p), None)
    return True


@method("setChatMenuButton")
def set_chat_menu_button(world: World, bot: Bot, p: Params) -> bool:
    button = p.obj("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in {"default", "commands", "web_app"}:
        raise bad_request("can't parse menu button")
    if button["type"] == "web_app":
        web_app = button.get("web_app") or {}
        if not isinstance(button.get("text"), str) or not isinstance(web_app.get("url"), str):
            raise bad_request("can't parse menu button")
        bot.web_app_url = web_app["url"]
    bot.menu_button = button
    return True


@method("getChatMenuButton")
def get_chat_menu_button(world: World, bot: Bot, p: Params) -> Json:
    return bot.menu_button


# -- chats ----------------------------------------------------------------------------------


def _group(world: World, bot: Bot, p: Params) -> Chat:
    target = world.resolve_chat(p.chat_id(), bot)
    if not isinstance(target, Chat):
        raise bad_request("method is available for supergroup and channel chats only")
    return target


def _user_id(world: World, p: Params) -> int:
    user_id = p.number("user_id", required=True) or 0
    if user_id not in world.accounts and user_id not in world.bots:
        raise bad_request("user not found")
    return user_id


@method("getChat")
def get_chat(world: World, bot: Bot, p: Params) -> Json:
    chat_id = p.chat_id()
    if isinstance(chat_id, int) and chat_id in world.accounts:
        dialog = world.dialogs.get((bot.id, chat_id))
        if dialog is None:
            raise bad_request("chat not found")
        full = world.private_chat_json(chat_id)
    else:
        chat = _group(world, bot, p)
        full = chat.as_chat()
        full["permissions"] = member_permissions(chat.type)
        guard = join_requests.guard_bot(world, chat)
        member = chat.members.get(bot.id)
        if guard is not None and member is not None and member.status == "administrator":
            full["guard_bot"] = guard.as_user()  # shown to administrators only
    full.update({"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": _GIFTS})
    return full


_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


@method("getChatMember")
def get_chat_member(world: World, bot: Bot, p: Params) -> Json:
    chat = _group(world, bot, p)
    return world.member_json(chat, _user_id(world, p))


@method("getChatAdministrators")
def get_chat_administrators(world: World, bot: Bot, p: Params) -> list[Json]:
    chat = _group(world, bot, p)
    return [
        world.member_json(chat, uid)
        for uid, m in chat.members.items()
        if m.status in {"creator", "administrator"}
    ]


@method("getChatMemberCount")
def get_chat_member_count(world: World, bot: Bot, p: Params) -> int:
    chat = _group(world, bot, p)
    return sum(1 for uid in chat.members if chat.is_member(uid))


def _link_terms(p: Params) -> Json:
    terms: Json = {}
    for name in ("name",):
        if p.raw(name) is not None:
            terms[name] = p.text(name)
    for name in ("expire_date", "member_limit"):
        if p.has(name):
            terms[name] = p.number(name)
    if p.has("creates_join_request"):
        terms["creates_join_request"] = p.flag("creates_join_request")
    return terms


@method("createChatInviteLink")
def create_chat_invite_link(world: World, bot: Bot, p: Params) -> Json:
    chat = _group(world, bot, p)
    return membership.create_invite_link(world, bot, chat, **_link_terms(p)).as_json(world)


@method("editChatInviteLink")
def edit_chat_invite_link(world: World, bot: Bot, p: Params) -> Json:
    chat = _group(world, bot, p)
    link = p.text("invite_link", required=True) or ""
    return membership.edit_invite_link(world, bot, chat, link, **_link_terms(p)).as_json(world)


@method("revokeChatInviteLink")
def revoke_chat_invite_link(world: World, bot: Bot, p: Params) -> Json:
    chat = _group(world, bot, p)
    link = p.text("invite_link", required=True) or ""
    return membership.revoke_invite_link(world, bot, chat, link).as_json(world)


@method("approveChatJoinRequest")
def approve_chat_join_request(world: World, bot: Bot, p: Params) -> bool:
    join_requests.answer_join_request(
        world, bot, _group(world, bot, p), _user_id(world, p), approve=True
    )
    return True


@method("declineChatJoinRequest")
def decline_chat_join_request(world: World, bot: Bot, p: Params) -> bool:
    join_requests.answer_join_request(
        world, bot, _group(world, bot, p), _user_id(world, p), approve=False
    )
    return True


@method("answerChatJoinRequestQuery")
def answer_chat_join_request_query(world: World, bot: Bot, p: Params) -> bool:
    query_id = p.text("chat_join_request_query_id", required=True) or ""
    join_requests.answer_query(world, bot, query_id, p.text("result", required=True) or "")
    return True


@method("banChatMember")
def ban_chat_member(world: World, bot: Bot, p: Params) -> bool:
    chat = _group(world, bot, p)
    membership.ban(world, bot, chat, _user_id(world, p), p.number("until_date", default=0) or 0)
    return True


@method("unbanChatMember")
def unban_chat_member(world: World, bot: Bot, p: Params) -> bool:
    chat = _group(world, bot, p)
    membership.unban(world, bot, chat, _user_id(world, p), only_if_banned=p.flag("only_if_banned"))
    return True


def call(world: World, bot: Bot, name: str, params: Json) -> Any:
    """Run one Bot API method; raises BotApiError as Telegram would answer."""
    function = METHODS.get(name.lower())
    if function is None:
        raise BotApiError(404, "Not Found")
    return function(world, bot, Params(params))
