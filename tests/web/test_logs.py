"""Secrets and one-time codes never reach the logs."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.stack import API_KEY, SITE, Stack
from tgpass.web.logs import RedactSecrets


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
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    secret_record = logging.LogRecord(
        "tgpass", logging.ERROR, "", 0, "signing with %s", (secret,), None
    )
    RedactSecrets().filter(secret_record)
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in secret_record.getMessage()


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
    site_key = {"Authorization": f"Bearer {API_KEY}"}
    hook = {"url": "https://site.example/events"}
    made = (await stack.web.post("/api/site/webhooks", json=hook, headers=site_key)).json()
    path = f"/api/site/webhooks/{made['id']}/rotate-secret"
    rotated = (await stack.web.post(path, headers=site_key)).json()
    logged = caplog.text
    for secret in (
        made["secret"],
        rotated["secret"],
        stack.bot_token,
        stack.bot_token.split(":", 1)[1],
        code,
        login_url.rsplit("=", 1)[1],
        stack.web.cookies["tgpass_session"],
    ):
        assert secret not in logged


def test_every_line_says_when_how_bad_and_whose(tmp_path: Path) -> None:
    # As `tgpass serve` and `tgpass worker` set it up: tgpass's own lines and uvicorn's alike,
    # each with its time, level and logger name, a bot token masked whichever logger said it.
    script = (
        "import logging\n"
        "from tgpass.log_setup import configure\n"
        "configure('INFO')\n"
        "logging.getLogger('tgpass.worker').warning('Redis is unreachable')\n"
        "logging.getLogger('tgpass.sender').info('sent with 123456789:%s', 'A' * 35)\n"
        "logging.getLogger('uvicorn.error').info('Application startup complete.')\n"
        "logging.getLogger('tgpass.worker').debug('not shown at INFO')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    shown = done.stderr.splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert len(shown) == 3, shown
    assert re.fullmatch(rf"{stamp} WARNING tgpass\.worker: Redis is unreachable", shown[0])
    assert re.fullmatch(rf"{stamp} INFO tgpass\.sender: sent with <bot-token>", shown[1])
    assert re.fullmatch(rf"{stamp} INFO uvicorn\.error: Application startup complete\.", shown[2])
