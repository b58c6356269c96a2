"""tgpass: know who a Telegram user is.

The verification core is re-exported here; see ``tgpass.verify`` for the details and
``tgpass.errors`` for the exception tree.
"""

from .errors import ConfigError, InvalidAuthData, InvalidDeepLink, TgpassError
from .verify import (
    LINK_CODE_BYTES,
    TELEGRAM_PUBLIC_KEY,
    TELEGRAM_TEST_PUBLIC_KEY,
    BotKeys,
    InitData,
    TelegramLogin,
    TelegramUser,
    Verified,
    Verifier,
    WebAppChat,
    WebAppUser,
    bot_id_from_token,
    check_init_data,
    is_valid_payload,
    new_link_code,
    parse_init_data,
    sign_init_data,
    sign_login_widget,
    start_link,
    start_payload,
    startapp_link,
    validate_init_data,
    validate_init_data_signature,
    validate_login_widget,
)

__version__ = "0.1.0"

__all__ = [
    "LINK_CODE_BYTES",
    "TELEGRAM_PUBLIC_KEY",
    "TELEGRAM_TEST_PUBLIC_KEY",
    "BotKeys",
    "ConfigError",
    "InitData",
    "InvalidAuthData",
    "InvalidDeepLink",
    "TelegramLogin",
    "TelegramUser",
    "TgpassError",
    "Verified",
    "Verifier",
    "WebAppChat",
    "WebAppUser",
    "__version__",
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
