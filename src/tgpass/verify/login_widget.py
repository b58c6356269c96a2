"""Login Widget and LoginUrl button data: one algorithm, secret = SHA256(bot token)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from tgpass.errors import InvalidAuthData

from ._clock import DEFAULT_MAX_AGE, DEFAULT_MAX_SKEW, Now, as_datetime, check_age
from ._fields import check_mapping, split_fields
from ._signing import field_text, hmac_checked, hmac_hex, unix_seconds
from .keys import bot_keys
from .models import TelegramLogin, frozen, plain_int

_KNOWN = frozenset({"id", "first_name", "last_name", "username", "photo_url", "auth_date", "hash"})

WidgetData = Mapping[str, object] | str


def validate_login_widget(
    data: WidgetData,
    bot_token: str,
    *,
    max_age: float | None = DEFAULT_MAX_AGE,
    max_skew: float = DEFAULT_MAX_SKEW,
    now: Now = None,
) -> TelegramLogin:
    """Check what the Login Widget or a LoginUrl button sent, and return it parsed.

    ``data`` is a mapping (request query parameters, or the JSON object ``data-onauth``
    receives, where ``id`` and ``auth_date`` are numbers), a query string, or a JSON string.
    """
    keys = bot_keys(bot_token)
    fields = widget_fields(data)
    auth_date = hmac_checked(fields, ((keys.bot_id, keys.login_widget),))[1]
    check_age(auth_date, max_age=max_age, max_skew=max_skew, now=now)
    return build_login(fields, auth_date)


def sign_login_widget(
    fields: Mapping[str, object], bot_token: str, *, auth_date: int | datetime
) -> dict[str, str]:
    """The fields a website receives from the widget for this user, ``auth_date`` and ``hash``."""
    keys = bot_keys(bot_token)
    values = {key: field_text(key, value) for key, value in fields.items()}
    if "auth_date" in values:
        raise InvalidAuthData(
            "malformed", "give auth_date as the keyword argument", field="auth_date"
        )
    values["auth_date"] = str(unix_seconds(auth_date))
    values["hash"] = hmac_hex(keys.login_widget, values)
    return values


# -- shared with the Verifier -----------------------------------------------------------------


def widget_fields(data: object) -> dict[str, str]:
    if isinstance(data, str):
        text = data.strip()
        if text.startswith("{"):
            return check_mapping(_json_object(text))
        return split_fields(text.removeprefix("?"))
    return check_mapping(data)


def _json_object(text: str) -> object:
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        result = dict(pairs)
        if len(result) != len(pairs):
            raise InvalidAuthData("malformed", "a field appears twice")
        return result

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as error:
        if isinstance(error, InvalidAuthData):
            raise
        raise InvalidAuthData("malformed", "not a valid JSON object") from None


def build_login(fields: dict[str, str], auth_date: int) -> TelegramLogin:
    for name in ("id", "first_name"):
        if name not in fields:
            raise InvalidAuthData(
                "missing_field", "{name} is missing", field=name, values={"name": name}
            )
    get = fields.get
    return TelegramLogin(
        id=plain_int(fields["id"], "id"),
        first_name=fields["first_name"],
        auth_date=as_datetime(auth_date),
        hash=fields["hash"],
        last_name=get("last_name"),
        username=get("username"),
        photo_url=get("photo_url"),
        extra=frozen({k: v for k, v in fields.items() if k not in _KNOWN}),
    )
