"""The sandbox signs Mini App and Login URL data as Telegram does: tgpass.verify accepts it."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import tgpass
from tgpass.sandbox.mini_app import SandboxSigner
from tgpass.sandbox.world import World

NOW = 1_767_225_600


def test_init_data_passes_both_checks_and_keeps_escaped_json() -> None:
    world = World(clock=lambda: NOW)
    bot = world.add_bot("shop_bot")
    account = world.add_account("Зоя", username="zoya", photo_url="https://t.me/i/zoya.jpg")
    signer = SandboxSigner()
    raw = signer.init_data(account, bot, auth_date=NOW, start_param="ref_1")
    assert "%5C%2F" in raw  # \/ as Telegram sends it
    by_token = tgpass.validate_init_data(raw, bot.token, now=NOW)
    by_key = tgpass.validate_init_data_signature(
        raw, bot.id, public_key=signer.public_key_hex, now=NOW
    )
    assert by_token == by_key
    assert by_token.user is not None
    assert by_token.user.id == account.id
    assert by_token.user.photo_url == "https://t.me/i/zoya.jpg"
    assert by_token.start_param == "ref_1"


def test_web_app_url_carries_init_data_in_the_fragment() -> None:
    world = World(clock=lambda: NOW)
    bot = world.add_bot("shop_bot")
    account = world.add_account("Ann")
    signer = SandboxSigner()
    raw = signer.init_data(account, bot, auth_date=NOW)
    url = signer.web_app_url("http://127.0.0.1:8000/app?x=1", raw)
    parts = urlsplit(url)
    assert parts.query == "x=1"
    launch = parse_qs(parts.fragment)
    assert launch["tgWebAppData"] == [raw]
    assert unquote(parts.fragment.split("tgWebAppData=")[1].split("&")[0]) == raw


def test_login_url_fields_pass_the_widget_check() -> None:
    world = World(clock=lambda: NOW)
    bot = world.add_bot("shop_bot")
    account = world.add_account("Ann", last_name="Lee", username="ann")
    url = SandboxSigner.login_url("https://site.test/login?next=/me", account, bot, auth_date=NOW)
    query = urlsplit(url).query
    fields = {k: v[0] for k, v in parse_qs(query).items() if k != "next"}
    login = tgpass.validate_login_widget(fields, bot.token, now=NOW)
    assert login.user.username == "ann"
