"""``tgpass demo``: what tgpass checks, shown on Telegram's published example and on data
signed here. The service demo (sandbox Telegram, site, bot) will take this command over."""

from __future__ import annotations

import json
import time

from .errors import InvalidAuthData
from .testing import TEST_BOT_TOKEN, make_init_data, make_widget_login
from .verify import new_link_code, start_link, validate_init_data, validate_login_widget

# Telegram Mini Apps' published example (tma.js documentation): valid when it was signed.
PUBLISHED_TOKEN = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"  # noqa: S105 (public)
PUBLISHED_INIT_DATA = (
    "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A"
    "%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C"
    "%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%7D&auth_date=1662771648"
    "&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2"
)
PUBLISHED_AT = 1662771648


def _outcome(check: object) -> str:
    try:
        result = check() if callable(check) else check
    except InvalidAuthData as error:
        return f"refused: {error.code} ({error.message})"
    shown = result.to_dict() if hasattr(result, "to_dict") else result
    return f"accepted: {json.dumps(shown, ensure_ascii=False, default=str)}"


def run_demo() -> None:
    now = time.time()
    print("tgpass demo: verifying what Telegram signs\n")
    steps = [
        (
            "Published Mini App init data, checked as of when it was signed",
            lambda: (
                validate_init_data(PUBLISHED_INIT_DATA, PUBLISHED_TOKEN, now=PUBLISHED_AT + 60).user
            ),
        ),
        (
            "The same data checked today (older than a day)",
            lambda: validate_init_data(PUBLISHED_INIT_DATA, PUBLISHED_TOKEN),
        ),
        (
            "The same data, first name tampered with",
            lambda: validate_init_data(
                PUBLISHED_INIT_DATA.replace("Vladislav", "Mallory"),
                PUBLISHED_TOKEN,
                now=PUBLISHED_AT + 60,
            ),
        ),
        (
            "Init data signed just now for a test bot",
            lambda: validate_init_data(make_init_data(), TEST_BOT_TOKEN, now=now).user,
        ),
        (
            "Login Widget fields signed just now",
            lambda: validate_login_widget(make_widget_login(), TEST_BOT_TOKEN, now=now).user,
        ),
    ]
    for title, check in steps:
        print(f"- {title}\n  {_outcome(check)}\n")
    link = start_link("tgpass_demo_bot", new_link_code())
    print(f"- A deep link that links an account through the bot:\n  {link}\n")
    print(
        "Next: the sandbox Telegram, the service (sign-in, account linking through the bot)\n"
        "and gated private chats. Try the command line too: tgpass initdata verify --help"
    )
