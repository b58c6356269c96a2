"""What a Telegram user does in a client: follow t.me links, press buttons, share a contact,
open Mini Apps. Each action returns what the client would show next, as JSON:

- ``{"kind": "chat", "bot": "<username>", "start": payload|null}``: the bot's chat is open,
  with a Start button when ``start`` is set (pressing it sends ``/start <payload>``);
- ``{"kind": "web_app", "url": ..., "bot": ..., "title": ...}``: a Mini App opened with signed
  launch data, under the bot's name;
- ``{"kind": "url", "url": ...}``: a page outside Telegram (LoginUrl targets are signed);
- ``{"kind": "callback", "callback_query_id": ...}``: the bot was asked; its answer follows;
- ``{"kind": "invite", "outcome": ..., "chat": ..., "message": ...}``: an invite link opened,
  ``message`` saying what happened in a person's words;
- ``{"kind": "message", "message": ...}``;
- ``{"kind": "request_chat", "request_id": ..., "chats": [...], "can_create": ...}``: a
  request_chat button was pressed; the user answers with ``share_chat``.

What cannot be done raises the sandbox's typed errors (``NotFound``, ``Invalid``, ``Refused``),
worded for the person at the phone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import join_requests, membership, sharing
from .errors import Invalid, NotFound
from .mini_app import SandboxSigner
from .world import Bot, Chat, Dialog, Json, World

_TME_HOSTS = {"t.me", "telegram.me", "www.t.me"}
# What the phone tells the person after an invite link, by outcome (join_requests.open_invite).
_INVITE_MESSAGES = {
    join_requests.JOINED: "You joined {title}.",
    join_requests.REQUEST_SENT: "Request sent — an admin or the bot will answer.",
    join_requests.REQUEST_PENDING: "Your request to join {title} is waiting for an answer.",
    join_requests.ALREADY_MEMBER: "You're already a member of {title}.",
}


def bot_of(world: World, bot_id: int) -> Bot:
    bot = world.bots.get(bot_id)
    if bot is None:
        raise NotFound("There is no such bot.", bot_id=bot_id)
    return bot


def group_of(world: World, chat_id: int) -> Chat:
    chat = world.chats.get(chat_id)
    if chat is None:
        raise NotFound("This chat does not exist.", chat_id=chat_id)
    return chat


def _message_in(dialog: Dialog, message_id: int) -> Json:
    found = next((m for m in dialog.messages if m["message_id"] == message_id), None)
    if found is None:
        raise NotFound("This message is no longer there.", message_id=message_id)
    return found


class UserActions:
    """The users' side of the sandbox over one world, signing with the sandbox's key."""

    def __init__(self, world: World, signer: SandboxSigner) -> None:
        self.world = world
        self.signer = signer

    def open_link(self, user_id: int, url: str) -> Json:
        self.world.account(user_id)
        parts = urlsplit(url.strip())
        if parts.scheme == "tg":
            return self._open_tg_scheme(user_id, parts.netloc, parse_qs(parts.query))
        path = parts.path.strip("/")
        if parts.hostname not in _TME_HOSTS:
            # the sandbox's own /t.me/... stands in for t.me, on whatever host it runs
            if parts.scheme not in {"http", "https"} or not path.startswith("t.me/"):
                return {"kind": "url", "url": url}
            path = path.removeprefix("t.me/")
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if path.startswith("+") or path.startswith("joinchat/"):
            return self.open_invite(user_id, f"https://t.me/{path}")
        name, _, app = path.partition("/")
        if not name:
            raise NotFound("This link leads to no bot or chat.", url=url)
        bot = self.world.bot_by_username(name)
        if "startapp" in query or app:
            return self.open_mini_app(user_id, bot.username, query.get("startapp") or None)
        return self.open_chat(user_id, bot, query.get("start"))

    def _open_tg_scheme(self, user_id: int, host: str, query: dict[str, list[str]]) -> Json:
        if host == "resolve" and "domain" in query:
            bot = self.world.bot_by_username(query["domain"][0])
            start = query["start"][0] if query.get("start") else None
            return self.open_chat(user_id, bot, start)
        return {"kind": "url", "url": f"tg://{host}"}

    def open_chat(self, user_id: int, bot: Bot, start: str | None) -> Json:
        self.world.account(user_id)
        dialog = self.world.dialog(bot.id, user_id)
        if start is not None or not dialog.started:
            dialog.pending_start = start or ""
        return {"kind": "chat", "bot": bot.username, "start": dialog.pending_start}

    def press_start(self, user_id: int, bot_username: str, payload: str | None = None) -> Json:
        self.world.account(user_id)
        bot = self.world.bot_by_username(bot_username)
        dialog = self.world.dialog(bot.id, user_id)
        payload = payload if payload is not None else dialog.pending_start
        dialog.pending_start = None
        return {"kind": "message", "message": self.world.start(user_id, bot, payload)}

    def send_text(self, user_id: int, bot_username: str, text: str) -> Json:
        self.world.account(user_id)
        bot = self.world.bot_by_username(bot_username)
        if not text.strip():
            raise Invalid("Type a message first.")
        return {"kind": "message", "message": self.world.send_text(user_id, bot, text)}

    def share_contact(self, user_id: int, bot_username: str) -> Json:
        """The user shares their own contact (a request_contact button)."""
        account = self.world.account(user_id)
        if account.phone_number is None:
            raise Invalid("This account has no phone number to share.", user_id=user_id)
        contact: Json = {
            "phone_number": account.phone_number,
            "first_name": account.first_name,
            "user_id": account.id,
        }
        if account.last_name:
            contact["last_name"] = account.last_name
        bot = self.world.bot_by_username(bot_username)
        message = self.world.user_message(user_id, bot, {"contact": contact})
        self.world.dialog(bot.id, user_id).reply_keyboard = None
        return {"kind": "message", "message": message}

    def press_button(self, user_id: int, bot_username: str, message_id: int, text: str) -> Json:
        """Press the button labelled ``text``: on a message's inline keyboard, or else on the
        reply keyboard of the chat."""
        self.world.account(user_id)
        bot = self.world.bot_by_username(bot_username)
        dialog = self.world.dialog(bot.id, user_id)
        message = _message_in(dialog, message_id) if message_id else None
        rows = ((message or {}).get("reply_markup") or {}).get("inline_keyboard") or []
        button = next((b for row in rows for b in row if b.get("text") == text), None)
        if button is not None and message is not None:
            return self._press_inline(user_id, bot, message, button)
        keyboard = (dialog.reply_keyboard or {}).get("keyboard") or []
        for row in keyboard:
            for key in row:
                key = {"text": key} if isinstance(key, str) else key
                if key.get("text") == text:
                    return self._press_reply_key(user_id, bot, key)
        raise NotFound("This button is no longer there.", button=text)

    def _press_inline(self, user_id: int, bot: Bot, message: Json, button: Json) -> Json:
        if "callback_data" in button:
            query_id = self.world.new_callback_query(bot.id, user_id)
            dialog = self.world.dialog(bot.id, user_id)
            self.world.enqueue(
                bot,
                "callback_query",
                {
                    "id": query_id,
                    "from": self.world.account(user_id).as_user(),
                    "message": message,
                    "chat_instance": dialog.chat_instance,
                    "data": button["callback_data"],
                },
            )
            return {"kind": "callback", "callback_query_id": query_id}
        if "url" in button:
            return self.open_link(user_id, button["url"])
        if "login_url" in button:
            url = self.signer.login_url(
                button["login_url"]["url"],
                self.world.account(user_id),
                bot,
                auth_date=self.world.now(),
            )
            return {"kind": "url", "url": url}
        if "web_app" in button:
            return self._web_app(user_id, bot, button["web_app"]["url"], None)
        raise Invalid("The sandbox cannot press this kind of button yet.", button=button)

    def _press_reply_key(self, user_id: int, bot: Bot, key: Json) -> Json:
        if key.get("request_contact"):
            return self.share_contact(user_id, bot.username)
        if isinstance(key.get("request_chat"), dict):
            return sharing.choices(self.world, user_id, bot, key["request_chat"]["request_id"])
        if "web_app" in key:
            return self._web_app(user_id, bot, key["web_app"]["url"], None)
        return self.send_text(user_id, bot.username, key["text"])

    def share_chat(
        self,
        user_id: int,
        bot_username: str,
        request_id: int,
        *,
        chat_id: int | None = None,
        new_title: str | None = None,
    ) -> Json:
        """Answer a request_chat button: share ``chat_id``, or a new chat ``new_title``."""
        self.world.account(user_id)
        bot = self.world.bot_by_username(bot_username)
        return sharing.share_chat(
            self.world, user_id, bot, request_id, chat_id=chat_id, new_title=new_title
        )

    def open_mini_app(self, user_id: int, bot_username: str, start_param: str | None) -> Json:
        """Open the bot's main Mini App (its menu button or main app)."""
        self.world.account(user_id)
        bot = self.world.bot_by_username(bot_username)
        if bot.web_app_url is None:
            raise Invalid(f"{bot.first_name} has no Mini App.", bot=bot.username)
        return self._web_app(user_id, bot, bot.web_app_url, start_param)

    def _web_app(self, user_id: int, bot: Bot, url: str, start_param: str | None) -> Json:
        raw = self.signer.init_data(
            self.world.account(user_id), bot, auth_date=self.world.now(), start_param=start_param
        )
        return {
            "kind": "web_app",
            "url": self.signer.web_app_url(url, raw),
            "init_data": raw,
            "bot": bot.username,
            "title": bot.first_name,  # Telegram heads a Mini App with its bot's name
        }

    def open_invite(self, user_id: int, invite_link: str) -> Json:
        self.world.account(user_id)
        outcome = join_requests.open_invite(self.world, user_id, invite_link)
        chat, _ = membership.find_invite(self.world, invite_link)
        return {
            "kind": "invite",
            "outcome": outcome,
            "chat": chat.as_chat(),
            "message": _INVITE_MESSAGES[outcome].format(title=chat.title),
        }

    def leave(self, user_id: int, chat_id: int) -> Json:
        self.world.account(user_id)
        membership.leave(self.world, user_id, group_of(self.world, chat_id))
        return {"kind": "left", "chat_id": chat_id}

    def chats(self, user_id: int) -> list[Json]:
        """The user's chat list: bots they talk to, groups they belong to."""
        self.world.account(user_id)
        listed: list[Json] = []
        for (bot_id, uid), dialog in self.world.dialogs.items():
            if uid == user_id and (dialog.messages or dialog.pending_start is not None):
                bot = self.world.bots[bot_id]
                last: Any = dialog.messages[-1] if dialog.messages else None
                listed.append({"type": "bot", "bot": bot.as_user(), "last_message": last})
        for chat in self.world.chats.values():
            if chat.is_member(user_id) and chat.migrated_to is None:
                listed.append({"type": chat.type, "chat": chat.as_chat()})
        return listed

    def widget_login(self, user_id: int, bot_username: str) -> dict[str, str]:
        """What the Login Widget hands a site when this user confirms."""
        account = self.world.account(user_id)
        bot = self.world.bot_by_username(bot_username)
        return self.signer.widget_fields(account, bot, auth_date=self.world.now())
