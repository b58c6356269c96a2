"""Everything the bot says, in one place: HTML for Telegram, every value escaped. One
``Texts`` per language; ``texts_for`` picks it from the user's ``language_code``."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

COMMANDS = (
    ("start", "Link your account, or say hello"),
    ("login", "A one-time sign-in link for the website"),
    ("me", "Your account on the website"),
    ("unlink", "Unlink this Telegram account"),
    ("help", "What this bot does"),
)


@dataclass(frozen=True, slots=True)
class SiteUrls:
    """The site's pages the bot points to, given by the composition root."""

    account: str
    bot_login: str  # takes ?code=

    def login_link(self, code: str) -> str:
        return f"{self.bot_login}?code={code}"


@dataclass(frozen=True, slots=True)
class Texts:
    site: str
    urls: SiteUrls

    def _site(self) -> str:
        return escape(self.site)

    def what_next(self) -> str:
        return (
            "/login – a sign-in link for the website\n/me – your account\n"
            "/unlink – unlink this Telegram account"
        )

    def linked(self, first_name: str, display_name: str) -> str:
        return (
            f"✅ Linked! Hello, {escape(first_name)}: this Telegram account is now linked to "
            f"<b>{escape(display_name)}</b> on {self._site()}.\n\nWhat you can do now:\n"
            + self.what_next()
        )

    def greeting(self, first_name: str, display_name: str) -> str:
        return (
            f"Hello, {escape(first_name)}! This Telegram account is linked to "
            f"<b>{escape(display_name)}</b> on {self._site()}.\n\n" + self.what_next()
        )

    def how_to_link(self, first_name: str) -> str:
        return (
            f"Hello, {escape(first_name)}! To link your account, sign in at "
            f"{escape(self.urls.account)} and press “Link Telegram”."
        )

    def code_unusable(self) -> str:
        return (
            "This link has expired or was already used. Get a new one on "
            f"{escape(self.urls.account)}"
        )

    def already_linked(self, display_name: str) -> str:
        return (
            f"This Telegram account is already linked to <b>{escape(display_name)}</b> on "
            f"{self._site()}: there is nothing more to do. (The link you opened was already "
            "used or has expired.)"
        )

    def cannot_move(self, display_name: str) -> str:
        return (
            f"This Telegram account is the only way to sign in to <b>{escape(display_name)}</b> "
            f"on {self._site()}, so it cannot move to another account. Sign in to it at "
            f"{escape(self.urls.account)}, set a password there, then get a new link."
        )

    def ask_consent(self, current: str, new: str) -> str:
        return (
            f"This Telegram account is linked to <b>{escape(current)}</b>. "
            f"Move it to <b>{escape(new)}</b>?"
        )

    consent_yes = "Yes, move it"
    consent_no = "No, keep it"

    def moved(self, display_name: str) -> str:
        return f"✅ Moved: this Telegram account is now linked to <b>{escape(display_name)}</b>."

    nothing_changed = "Nothing changed: the link stays where it was."

    def login_offer(self, minutes: int) -> str:
        return (
            f"Here is your sign-in link for {self._site()}. It works once, for {minutes} minutes."
        )

    sign_in_button = "Sign in"

    def for_linked_only(self, first_name: str) -> str:
        return "This command is for linked accounts. " + self.how_to_link(first_name)

    def me(self, display_name: str, role: str, karma: int, phone: str | None) -> str:
        return (
            f"You are <b>{escape(display_name)}</b> on {self._site()}.\n"
            f"Role: {escape(role)} · karma: {karma} · phone: {escape(phone or 'not shared')}"
        )

    unlinked = "Unlinked. The bot will no longer know you on the website."
    not_linked = "This Telegram account is not linked."

    def unlink_would_lock_out(self) -> str:
        return (
            f"Telegram is the only way to sign in to your account on {self._site()}: unlinking "
            f"would lock you out. Set a password at {escape(self.urls.account)}, then /unlink."
        )

    def help(self) -> str:
        return (
            f"I link your Telegram account to {self._site()}.\n\n"
            "/start – link or greet\n" + self.what_next()
        )

    def chatter(self) -> str:
        return "I only understand commands. " + self.help()

    # -- gated chats

    def invited(self, chat_title: str) -> str:
        return (
            f"You may now join <b>{escape(chat_title)}</b>. This link is yours alone and works "
            "for a day: it asks to join, and the bot lets in only you."
        )

    join_button = "Ask to join"

    def removed(self, chat_title: str, reason: str) -> str:
        return (
            f"You were removed from <b>{escape(chat_title)}</b> ({escape(reason)}). You are not "
            "banned: once you qualify again, the bot sends you a new invite."
        )

    def join_declined(self, chat_title: str, reason: str) -> str:
        return (
            f"Your request to join <b>{escape(chat_title)}</b> was declined ({escape(reason)}). "
            f"Link your Telegram account on {escape(self.urls.account)} and qualify, and the bot "
            "sends you your own invite."
        )

    def new_chat(self) -> str:
        return (
            "Pick a group you own, or create one, with the button below: the bot joins it as an "
            "administrator with the rights gating needs. Then set its rule on the admin page."
        )

    new_chat_button = "Choose a group"
    staff_only = "This command is for the site's staff."

    def chat_received(self, title: str, known: bool) -> str:
        if known:
            return f"✅ <b>{escape(title)}</b> is known now. Set its rule on the admin page."
        return (
            f"Received <b>{escape(title)}</b>; it appears on the admin page once Telegram "
            "confirms the bot's administrator rights there."
        )

    share_own_contact = "Please share your own contact, with the button."
    phone_saved = "Thanks! Your phone number is saved."
    try_again = "Something changed at the same moment. Please try again."


def texts_for(texts: Texts, language_code: str | None) -> Texts:
    """The texts in the user's language (English is the one there is so far)."""
    return texts
