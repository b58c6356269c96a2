"""The README's receiver of events (section "Verifying a delivery") is code: it is taken from
the README as written and run as a site's endpoint on a loopback port, and deliveries made
by the deliverer reach it. It applies a delivery, skips a retry of it, still accepts
deliveries after a rotation (the old secret signs too), and refuses a forgery."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.harness.fakes import RecordingTelegram
from tests.harness.site import site_settings
from tgpass.bootstrap import Services, build, memory_stores
from tgpass.sandbox.server import LoopbackServer

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver() -> str:
    """The Python block of the README's "Verifying a delivery"."""
    text = README.read_text()
    section = text.split("### Verifying a delivery", 1)[1].split("\n### ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "the README shows no Python receiver"
    return found.group(1)


@dataclass
class Endpoint:
    url: str
    answers: list[int]


@asynccontextmanager
async def serving(on_event: Callable[[bytes, dict[str, str]], int]) -> AsyncIterator[Endpoint]:
    """``on_event`` behind a bare ASGI app, as a site's framework would call it."""
    answers: list[int] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status = on_event(body, headers)
        answers.append(status)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async with LoopbackServer(app) as server:
        yield Endpoint(f"{server.url}/tgpass/events", answers)


@asynccontextmanager
async def site() -> AsyncIterator[Services]:
    services = await build(
        site_settings({"kv_url": "memory://"}, events_allow_private_urls=True),
        stores=memory_stores(),
        telegram=RecordingTelegram(),
    )
    try:
        yield services
    finally:
        await services.close()


async def test_the_readme_receiver_verifies_real_deliveries(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with site() as services:
        webhooks = services.webhooks
        # the endpoint's URL is known once its server listens: made first, pointed after
        made = await webhooks.add("https://placeholder.example.org/", ["account.linked"])
        monkeypatch.setenv("EVENTS_SECRET", made.secret)
        receiver: dict[str, Any] = {}
        exec(compile(readme_receiver(), str(README), "exec"), receiver)  # noqa: S102
        async with serving(receiver["on_event"]) as endpoint:
            await webhooks.update(made.id, url=endpoint.url)

            sent = await webhooks.test(made.id)
            assert await services.deliverer.deliver_due() == 1
            assert endpoint.answers == [204]
            printed = capsys.readouterr().out
            assert printed == f"webhook.test {{'endpoint_id': {made.id}}}\n"
            [delivery] = await webhooks.deliveries(made.id)
            assert (delivery.event.id, delivery.state, delivery.last_status) == (
                sent.id,
                "delivered",
                204,
            )

            await webhooks.retry(made.id, sent.id)  # the same webhook-id once more
            assert await services.deliverer.deliver_due() == 1
            assert endpoint.answers == [204, 204]
            assert capsys.readouterr().out == ""  # skipped: applied already
            assert receiver["applied"] == {sent.id}

            await webhooks.rotate_secret(made.id)  # the receiver still holds the old one
            after = await webhooks.test(made.id)
            assert await services.deliverer.deliver_due() == 1
            assert endpoint.answers[-1] == 204
            assert after.id in receiver["applied"]

            forged = Webhook("whsec_" + base64.b64encode(b"not the secret" * 2).decode())
            body = '{"type":"account.linked","timestamp":"2026-01-01T00:00:00.000Z","data":{}}'
            now = int(time.time())
            moment = datetime.fromtimestamp(now, UTC)
            headers = {
                "webhook-id": "msg_forged",
                "webhook-timestamp": str(now),
                "webhook-signature": forged.sign("msg_forged", moment, body),
            }
            async with httpx.AsyncClient() as http:
                answer = await http.post(endpoint.url, content=body, headers=headers)
            assert answer.status_code == 400
            assert "msg_forged" not in receiver["applied"]
