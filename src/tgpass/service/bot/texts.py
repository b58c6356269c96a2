"""Everything the bot says, in one place: HTML for Telegram, every value escaped. Each message
is a whole one in the ``bot`` catalog (``make messages`` extracts it from here), said in the
reader's language: ``Texts.for_telegram`` picks it from their ``language_code``."""

from __future__ import annotations

import gettext
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from html import escape

from tgpass.domain.gating import Reason
from tgpass.i18n import N_, SOURCE, Catalog, Translator

COMMANDS = (
    ("start", N_("Link your account, or say hello")),
    ("login", N_("A one-time sign-in link for the website")),
    ("me", N_("Your account on the website")),
    ("unlink", N_("Unlink this Telegram account")),
    ("help", N_("What this bot does")),
)
"""The command menu: each description is translated where the menu is set."""

REASONS: Mapping[str, str] = {
    "deleted": N_("the account was deleted"),
    "not_linked": N_("this Telegram account is not linked to an account on the site"),
    "karma": N_("karma {karma}, below the {min_karma} needed"),
    "role": N_("the role {role} is not among {roles}"),
    "basic_group": N_("the chat is a basic group, not a supergroup"),
    "not_supergroup": N_("the chat is not a supergroup"),
    "paused": N_("the chat's gating is paused for now"),
    "lacks_rights": N_("the bot lacks the administrator rights it needs there"),
    "moved_on": N_("this Telegram account no longer belongs to the account it joined for"),
    "unlinked_member": N_("this Telegram account is not linked to an account on the site"),
    "banned": N_("banned by the chat's administrators"),
    "other_account": N_("the account is linked to another Telegram account"),
    "present": N_("already in the chat"),
    "newer_invite": N_("a newer invite was sent"),
    "not_eligible": N_("the chat's rule is not met"),
}
"""How the bot says each kind of ``domain.gating.Reason`` (plain text, escaped where used)."""

ENGLISH = Translator(SOURCE, gettext.NullTranslations())


@dataclass(frozen=True, slots=True)
class SiteUrls:
    """The site's pages the bot points to, given by the composition root."""

    account: str
    bot_login: str  # takes ?code=

    def login_link(self, code: str) -> str:
        return f"{self.bot_login}?code={code}"


@dataclass(frozen=True, slots=True)
class Texts:
    """The bot's messages for one reader: ``catalog`` in the language of ``language_code``
    (its default when it has none of theirs); without a catalog, as written (English)."""

    site: str
    urls: SiteUrls
    catalog: Catalog | None = None
    language_code: str | None = None
    t: Translator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found = ENGLISH if self.catalog is None else self.catalog.translator(self.language_code)
        object.__setattr__(self, "t", found)

    def for_telegram(self, language_code: str | None) -> Texts:
        """The same texts for a reader whose Telegram app reports ``language_code``."""
        return replace(self, language_code=language_code)

    @property
    def language(self) -> str:
        return self.t.language

    def _site(self) -> str:
        return escape(self.site)

    def _account(self) -> str:
        return escape(self.urls.account)

    def menu(self, commands: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """The command menu with its descriptions in this language."""
        return [(command, self.t._(description)) for command, description in commands]

    def reason(self, reason: str) -> str:
        """A reason in this language, plain text: a ``Reason`` by its kind; any other string
        (an older entry, a site's) as it is."""
        if not isinstance(reason, Reason):
            return reason
        if reason.parts:
            return "; ".join(self.reason(part) for part in reason.parts)
        message = REASONS.get(reason.kind)
        return str(reason) if message is None else self.t._(message, **reason.values)

    def what_next(self) -> str:
        return self.t._(
            "/login – a sign-in link for the website\n/me – your account\n"
            "/unlink – unlink this Telegram account"
        )

    def linked(self, first_name: str, display_name: str) -> str:
        said = self.t._(
            "✅ Linked! Hello, {first_name}: this Telegram account is now linked to "
            "<b>{display_name}</b> on {site}.\n\nWhat you can do now:",
            first_name=escape(first_name),
            display_name=escape(display_name),
            site=self._site(),
        )
        return f"{said}\n{self.what_next()}"

    def greeting(self, first_name: str, display_name: str) -> str:
        said = self.t._(
            "Hello, {first_name}! This Telegram account is linked to <b>{display_name}</b> "
            "on {site}.",
            first_name=escape(first_name),
            display_name=escape(display_name),
            site=self._site(),
        )
        return f"{said}\n\n{self.what_next()}"

    def how_to_link(self, first_name: str) -> str:
        return self.t._(
            "Hello, {first_name}! To link your account, sign in at {account_url} and press "
            "“Link Telegram”.",
            first_name=escape(first_name),
            account_url=self._account(),
        )

    def code_unusable(self) -> str:
        return self.t._(
            "This link has expired or was already used. Get a new one on {account_url}",
            account_url=self._account(),
        )

    def already_linked(self, display_name: str) -> str:
        return self.t._(
            "This Telegram account is already linked to <b>{display_name}</b> on {site}: there "
            "is nothing more to do. (The link you opened was already used or has expired.)",
            display_name=escape(display_name),
            site=self._site(),
        )

    def cannot_move(self, display_name: str) -> str:
        return self.t._(
            "This Telegram account is the only way to sign in to <b>{display_name}</b> on "
            "{site}, so it cannot move to another account. Sign in to it at {account_url}, set "
            "a password there, then get a new link.",
            display_name=escape(display_name),
            site=self._site(),
            account_url=self._account(),
        )

    def ask_consent(self, current: str, new: str) -> str:
        return self.t._(
            "This Telegram account is linked to <b>{current}</b>. Move it to <b>{new}</b>?",
            current=escape(current),
            new=escape(new),
        )

    @property
    def consent_yes(self) -> str:
        return self.t._("Yes, move it")

    @property
    def consent_no(self) -> str:
        return self.t._("No, keep it")

    def moved(self, display_name: str) -> str:
        return self.t._(
            "✅ Moved: this Telegram account is now linked to <b>{display_name}</b>.",
            display_name=escape(display_name),
        )

    @property
    def nothing_changed(self) -> str:
        return self.t._("Nothing changed: the link stays where it was.")

    def login_offer(self, minutes: int) -> str:
        return self.t.n_(
            "Here is your sign-in link for {site}. It works once, for {n} minute.",
            "Here is your sign-in link for {site}. It works once, for {n} minutes.",
            minutes,
            site=self._site(),
        )

    @property
    def sign_in_button(self) -> str:
        return self.t._("Sign in")

    def for_linked_only(self, first_name: str) -> str:
        said = self.t._("This command is for linked accounts.")
        return f"{said} {self.how_to_link(first_name)}"

    def me(self, display_name: str, role: str, karma: int, phone: str | None) -> str:
        return self.t._(
            "You are <b>{display_name}</b> on {site}.\nRole: {role} · karma: {karma} · phone: "
            "{phone}",
            display_name=escape(display_name),
            site=self._site(),
            role=escape(role),
            karma=karma,
            phone=escape(phone) if phone else self.t._("not shared"),
        )

    @property
    def unlinked(self) -> str:
        return self.t._("Unlinked. The bot will no longer know you on the website.")

    @property
    def not_linked(self) -> str:
        return self.t._("This Telegram account is not linked.")

    def unlink_would_lock_out(self) -> str:
        return self.t._(
            "Telegram is the only way to sign in to your account on {site}: unlinking would "
            "lock you out. Set a password at {account_url}, then /unlink.",
            site=self._site(),
            account_url=self._account(),
        )

    def help(self) -> str:
        said = self.t._(
            "I link your Telegram account to {site}.\n\n/start – link or greet", site=self._site()
        )
        return f"{said}\n{self.what_next()}"

    def chatter(self) -> str:
        said = self.t._("I only understand commands.")
        return f"{said} {self.help()}"

    # -- gated chats

    def invited(self, chat_title: str) -> str:
        return self.t._(
            "You may now join <b>{chat_title}</b>. This link is yours alone and works for a day: "
            "it asks to join, and the bot lets in only you.",
            chat_title=escape(chat_title),
        )

    @property
    def join_button(self) -> str:
        return self.t._("Ask to join")

    def removed(self, chat_title: str, reason: str) -> str:
        return self.t._(
            "You were removed from <b>{chat_title}</b> ({reason}). You are not banned: once you "
            "qualify again, the bot sends you a new invite.",
            chat_title=escape(chat_title),
            reason=escape(self.reason(reason)),
        )

    def join_declined(self, chat_title: str, reason: str) -> str:
        return self.t._(
            "Your request to join <b>{chat_title}</b> was declined ({reason}). Link your "
            "Telegram account on {account_url} and qualify, and the bot sends you your own "
            "invite.",
            chat_title=escape(chat_title),
            reason=escape(self.reason(reason)),
            account_url=self._account(),
        )

    def new_chat(self) -> str:
        return self.t._(
            "Pick a group you own, or create one, with the button below: the bot joins it as an "
            "administrator with the rights gating needs. Then set its rule on the admin page."
        )

    @property
    def new_chat_button(self) -> str:
        return self.t._("Choose a group")

    @property
    def staff_only(self) -> str:
        return self.t._("This command is for the site's staff.")

    def chat_received(self, title: str, known: bool) -> str:
        if known:
            return self.t._(
                "✅ <b>{title}</b> is known now. Set its rule on the admin page.",
                title=escape(title),
            )
        return self.t._(
            "Received <b>{title}</b>; it appears on the admin page once Telegram confirms the "
            "bot's administrator rights there.",
            title=escape(title),
        )

    @property
    def share_own_contact(self) -> str:
        return self.t._("Please share your own contact, with the button.")

    @property
    def phone_saved(self) -> str:
        return self.t._("Thanks! Your phone number is saved.")

    @property
    def try_again(self) -> str:
        return self.t._("Something changed at the same moment. Please try again.")


def command_menus(
    texts: Texts, commands: Sequence[tuple[str, str]]
) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """The menu to set for each language: first with no language code (the default
    language's, for everyone without a menu of their own), then one per other offered
    language, under its two-letter code (the only kind Telegram takes: ``pt-br`` as ``pt``)."""
    menus: list[tuple[str | None, list[tuple[str, str]]]] = [(None, texts.menu(commands))]
    if texts.catalog is None:
        return menus
    default = texts.catalog.default
    seen = {default.split("-")[0]}
    for language in texts.catalog.translators:
        code = language.split("-")[0]
        if language == default or code in seen or len(code) != 2:
            continue
        seen.add(code)
        menus.append((code, texts.for_telegram(language).menu(commands)))
    return menus
