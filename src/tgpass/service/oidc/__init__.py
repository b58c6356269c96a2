"""OpenID Connect both ways: signing in with Telegram Login (tgpass as a client) and signing
other apps in with tgpass (tgpass as a provider, in ``provider``)."""

from .client import OidcConfig, TelegramLoginClient

__all__ = ["OidcConfig", "TelegramLoginClient"]
