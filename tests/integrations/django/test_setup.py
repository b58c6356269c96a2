"""The app as a site installs it: its migration, its settings, its system checks."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from tgpass.integrations.django.conf import authenticator
from tgpass.testing import TEST_BOT_TOKEN

from .signed import TELEGRAM_PUBLIC_KEY, USER, init_data, tma


def tgpass_checks() -> list[str]:
    return [message.id for message in checks.run_checks() if message.id.startswith("tgpass.")]


def test_the_migration_makes_the_table_and_undoes_it() -> None:
    assert "tgpass_telegramaccount" in connection.introspection.table_names()
    call_command("migrate", "tgpass", "zero", verbosity=0)
    try:
        assert "tgpass_telegramaccount" not in connection.introspection.table_names()
    finally:
        call_command("migrate", "tgpass", verbosity=0)
    assert "tgpass_telegramaccount" in connection.introspection.table_names()


def test_the_models_need_no_migration_that_is_not_written() -> None:
    out = io.StringIO()
    call_command("makemigrations", "tgpass", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_configured_site_passes_the_checks() -> None:
    assert tgpass_checks() == []


@pytest.mark.parametrize(
    "value", [None, ["token"], {"BOT_TOKENS": ["not a token"]}, {"BOT_TOKEN": TEST_BOT_TOKEN}]
)
def test_an_unusable_setting_is_a_check_error_and_improperly_configured(value: object) -> None:
    with override_settings(TGPASS=value):
        assert tgpass_checks() == ["tgpass.E001"]
        with pytest.raises(ImproperlyConfigured, match=r"TGPASS"):
            authenticator()


def test_no_telegram_backend_is_a_check_warning() -> None:
    with override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        assert tgpass_checks() == ["tgpass.W001"]


def test_a_changed_setting_is_read_again() -> None:
    before = authenticator()
    assert authenticator() is before
    with override_settings(TGPASS={"BOT_TOKENS": [TEST_BOT_TOKEN], "MAX_AGE": 60}):
        assert authenticator().max_age == 60
    assert authenticator().max_age == 3600


def test_bots_known_by_id_alone_are_checked_with_telegrams_signature() -> None:
    bot_id = int(TEST_BOT_TOKEN.split(":")[0])
    with override_settings(TGPASS={"BOT_IDS": [bot_id], "PUBLIC_KEY": TELEGRAM_PUBLIC_KEY}):
        signed = init_data(ed25519=True)
        response = Client().get("/me/", headers={"Authorization": tma(signed)})
        assert response.status_code == 200
        assert response.json()["telegram_id"] == USER["id"]
        # without Telegram's signature, the same bot's data proves nothing here
        assert Client().get("/me/", headers={"Authorization": tma(init_data())}).status_code == 401


def test_the_admin_lists_and_finds_telegram_accounts() -> None:
    Client().get("/me/", headers={"Authorization": tma(init_data())})
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("staff", password="pw"))
    page = "/admin/tgpass/telegramaccount/"
    listed = client.get(page)
    assert listed.status_code == 200
    assert listed.context_data["cl"].result_count == 1
    assert client.get(page, {"q": str(USER["id"])}).context_data["cl"].result_count == 1
    assert client.get(page, {"q": "5000000002"}).context_data["cl"].result_count == 0
