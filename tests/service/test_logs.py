"""Secrets and one-time codes never reach the logs."""

from __future__ import annotations

import logging

import pytest

from tgpass.web.logs import RedactSecrets

from .conftest import SITE, Stack


def test_the_filter_masks_tokens_and_query_strings() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/auth/bot?code=SECRETCODE123", "1.1", 303), None,
    )  # fmt: skip
    RedactSecrets().filter(record)
    assert "SECRETCODE123" not in record.getMessage()
    token_record = logging.LogRecord(
        "httpx",
        logging.INFO,
        "",
        0,
        "HTTP Request: %s %s",
        ("POST", "http://x/bot123456:AAbbccddeeffgghhiijjkkll/getMe"),
        None,
    )
    RedactSecrets().filter(token_record)
    assert "AAbbccddeeffgghhiijjkkll" not in token_record.getMessage()


async def test_a_whole_flow_logs_no_secret(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await stack.register("ann")
    offer = (await stack.web.post("/api/link")).json()
    code = offer["url"].rsplit("=", 1)[1]
    tg = await stack.new_tg_user("Ann")
    await stack.users.open_link(tg, offer["url"])
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    await stack.users.send(tg, stack.bot_username, "/login")
    await stack.pump()
    login_url = (await stack.bot_says(tg))[-1]["reply_markup"]["inline_keyboard"][0][0]["url"]
    await stack.web.get(login_url.removeprefix(SITE))
    logged = caplog.text
    for secret in (
        stack.bot_token,
        stack.bot_token.split(":", 1)[1],
        code,
        login_url.rsplit("=", 1)[1],
        stack.web.cookies["tgpass_session"],
    ):
        assert secret not in logged
