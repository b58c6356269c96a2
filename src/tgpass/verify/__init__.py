"""Verify what Telegram signs. Pure: standard library and cryptography, no I/O, clock injected."""

from .deeplink import (
    LINK_CODE_BYTES,
    is_valid_payload,
    new_link_code,
    start_link,
    start_payload,
    startapp_link,
)
from .init_data import (
    check_init_data,
    parse_init_data,
    sign_init_data,
    validate_init_data,
    validate_init_data_signature,
)
from .keys import TELEGRAM_PUBLIC_KEY, TELEGRAM_TEST_PUBLIC_KEY, BotKeys, bot_id_from_token
from .login_widget import sign_login_widget, validate_login_widget
from .models import InitData, TelegramLogin, TelegramUser, WebAppChat, WebAppUser
from .verifier import Verified, Verifier

__all__ = [
    "LINK_CODE_BYTES",
    "TELEGRAM_PUBLIC_KEY",
    "TELEGRAM_TEST_PUBLIC_KEY",
    "BotKeys",
    "InitData",
    "TelegramLogin",
    "TelegramUser",
    "Verified",
    "Verifier",
    "WebAppChat",
    "WebAppUser",
    "bot_id_from_token",
    "check_init_data",
    "is_valid_payload",
    "new_link_code",
    "parse_init_data",
    "sign_init_data",
    "sign_login_widget",
    "start_link",
    "start_payload",
    "startapp_link",
    "validate_init_data",
    "validate_init_data_signature",
    "validate_login_widget",
]
