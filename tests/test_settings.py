"""Settings come from TGPASS_ variables, typed, with clear errors."""

from __future__ import annotations

import pytest

from tgpass import ConfigError
from tgpass.settings import Settings


def test_from_env_reads_only_our_prefix_and_converts_types() -> None:
    settings = Settings.from_env(
        {
            "TGPASS_BOT_TOKEN": "1:abc",
            "TGPASS_LINK_TTL": "120",
            "TGPASS_TELEGRAM_SIGNUP": "false",
            "TGPASS_API_KEYS": "a, b,,c",
            "TGPASS_READ_CACHE_TTL": "0.5",
            "TGPASS_TEST_SOMETHING": "ignored",
            "OTHER": "x",
        }
    )
    assert settings.bot_token == "1:abc"
    assert settings.link_ttl == 120
    assert settings.telegram_signup is False
    assert settings.api_keys == ("a", "b", "c")
    assert settings.read_cache_ttl == 0.5
    assert settings.secret_key  # a random one, for a single process
    assert "1:abc" not in repr(settings)


@pytest.mark.parametrize("env", [{"TGPASS_LINK_TTL": "soon"}, {"TGPASS_TELEGRAM_SIGNUP": "maybe"}])
def test_bad_values_are_config_errors(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)


def test_shared_stores_need_a_shared_secret_key() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"TGPASS_KV_URL": "redis://127.0.0.1:6379/0"})
    assert (
        Settings.from_env(
            {"TGPASS_KV_URL": "redis://127.0.0.1:6379/0", "TGPASS_SECRET_KEY": "k"}
        ).secret_key
        == "k"
    )


def test_cookies_are_secure_behind_https() -> None:
    assert Settings.from_env({"TGPASS_PUBLIC_URL": "https://example.org"}).secure_cookies
    assert not Settings.from_env({}).secure_cookies


def test_telegram_login_is_read_under_its_former_names_too() -> None:
    former = Settings.from_env(
        {"TGPASS_OIDC_CLIENT_SECRET": "s", "TGPASS_OIDC_ISSUER": "http://127.0.0.1:1/oauth"}
    )
    assert former.telegram_login_configured
    assert former.telegram_login_issuer == "http://127.0.0.1:1/oauth"
    both = Settings.from_env(
        {"TGPASS_OIDC_SCOPES": "openid", "TGPASS_TELEGRAM_LOGIN_SCOPES": "openid profile"}
    )
    assert both.telegram_login_scopes == "openid profile"  # the current name wins
    assert not Settings.from_env({}).telegram_login_configured
