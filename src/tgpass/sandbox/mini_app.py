"""What a Telegram client does when it opens a Mini App or a Login URL: sign for the user.

Init data carries the bot-token HMAC and an Ed25519 ``signature`` by the sandbox's own key
(published as ``public_key_hex``), exactly as Telegram signs with its key.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tgpass.verify import sign_init_data, sign_login_widget

from .world import Account, Bot

WEB_APP_VERSION = "9.1"


class SandboxSigner:
    """The sandbox's stand-in for Telegram's Ed25519 key."""

    def __init__(self, key: Ed25519PrivateKey | None = None) -> None:
        self.key = key or Ed25519PrivateKey.generate()

    @property
    def public_key_hex(self) -> str:
        return self.key.public_key().public_bytes_raw().hex()

    def init_data(
        self,
        account: Account,
        bot: Bot,
        *,
        auth_date: int,
        start_param: str | None = None,
        chat_type: str = "private",
    ) -> str:
        user = account.as_user()
        user.pop("is_bot", None)
        user["allows_write_to_pm"] = True
        if account.photo_url:
            user["photo_url"] = account.photo_url
        # Telegram's JSON escapes slashes; the hash covers the escaped form.
        user_json = json.dumps(user, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")
        fields: dict[str, object] = {
            "query_id": "AA" + secrets.token_urlsafe(16),
            "user": user_json,
            "chat_instance": str(-secrets.randbits(62)),
            "chat_type": chat_type,
        }
        if start_param:
            fields["start_param"] = start_param
        return sign_init_data(fields, bot.token, auth_date=auth_date, signing_key=self.key)

    def web_app_url(self, url: str, init_data: str) -> str:
        """The Mini App URL as a client opens it: launch parameters in the fragment."""
        launch = urlencode(
            {
                "tgWebAppData": init_data,
                "tgWebAppVersion": WEB_APP_VERSION,
                "tgWebAppPlatform": "web",
            },
            quote_via=quote,
        )
        parts = urlsplit(url)
        return urlunsplit(parts._replace(fragment=launch))

    @staticmethod
    def widget_fields(account: Account, bot: Bot, *, auth_date: int) -> dict[str, str]:
        """The Login Widget's signed fields for this account."""
        fields: dict[str, object] = {"id": account.id, "first_name": account.first_name}
        for name in ("last_name", "username", "photo_url"):
            if getattr(account, name):
                fields[name] = getattr(account, name)
        return sign_login_widget(fields, bot.token, auth_date=auth_date)

    @classmethod
    def login_url(cls, url: str, account: Account, bot: Bot, *, auth_date: int) -> str:
        """A LoginUrl button: the widget's signed fields appended to the button's URL."""
        signed = cls.widget_fields(account, bot, auth_date=auth_date)
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(signed, quote_via=quote)) if q)
        return urlunsplit(parts._replace(query=query))
