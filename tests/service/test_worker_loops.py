"""The worker keeps every loop going, and says what happened in the way it deserves: Telegram's
trouble in a line, a bug with its traceback, a store's outage once (tests/service/test_outage.py
stops a real Redis for that)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tgpass.errors import TelegramTransient
from tgpass.service.worker import Worker


async def test_telegram_trouble_is_one_line_and_a_bug_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0
    finished = asyncio.Event()

    async def set_commands() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TelegramTransient("Bad Gateway", method="setMyCommands")
        if calls == 2:
            raise KeyError("a bug")
        finished.set()

    caplog.set_level(logging.INFO, logger="tgpass")
    running = asyncio.create_task(Worker({"commands": set_commands}).run())
    async with asyncio.timeout(10):
        await finished.wait()
    await running  # the loop returned: the worker is done with it
    telegram, bug = [r for r in caplog.records if r.name == "tgpass.worker"]
    assert telegram.levelno == logging.WARNING
    assert telegram.getMessage() == (
        "Telegram failed (TelegramTransient: Bad Gateway); the commands loop tries again in 1 s"
    )
    assert telegram.exc_info is None
    assert bug.levelno == logging.ERROR
    assert bug.exc_info is not None and bug.exc_info[0] is KeyError
