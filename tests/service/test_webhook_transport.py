"""The HTTP adapter for the sites' endpoints, against real endpoints on loopback: the status
and Retry-After come back, a redirect is not followed, an answer is read only so far, no
answer in time and a refused connection are ``EndpointUnreachable`` with a reason, and a
private address (written or resolved) is never reached unless allowed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.harness.webhook_receiver import Received, Receiver, SilentEndpoint
from tgpass.outbound import HttpWebhookTransport
from tgpass.sandbox.server import free_port
from tgpass.service.ports import EndpointUnreachable

HEADERS = {"webhook-id": "msg_1", "Content-Type": "application/json"}


@pytest.fixture
async def transport() -> AsyncIterator[HttpWebhookTransport]:
    made = HttpWebhookTransport(allow_private=True)
    yield made
    await made.close()


async def test_the_status_and_retry_after_come_back(transport: HttpWebhookTransport) -> None:
    def busy(request: Received) -> tuple[int, dict[str, str]]:
        return 503, {"Retry-After": "7"}

    async with Receiver(busy) as receiver:
        answer = await transport.post(receiver.url, b'{"a":1}', HEADERS, timeout=5)
    assert (answer.status, answer.retry_after) == (503, 7.0)
    [request] = receiver.received
    assert request.body == b'{"a":1}'
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "tgpass-webhooks"


async def test_a_redirect_is_not_followed(transport: HttpWebhookTransport) -> None:
    async with Receiver() as target, Receiver(lambda r: (307, {"Location": target.url})) as hop:
        answer = await transport.post(hop.url, b"{}", HEADERS, timeout=5)
    assert answer.status == 307
    assert len(hop.received) == 1 and target.received == []


@pytest.fixture
async def talkative() -> AsyncIterator[str]:
    """An endpoint answering 200 and a body that never ends."""

    async def handler(request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse(status=200)
        await answer.prepare(request)
        while True:
            await answer.write(b"x" * 65536)
            await asyncio.sleep(0.01)

    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_an_answer_is_read_only_so_far(talkative: str) -> None:
    transport = HttpWebhookTransport(allow_private=True, max_answer=1024)
    try:
        # read to its end, it would run out of time
        answer = await transport.post(talkative, b"{}", HEADERS, timeout=3)
    finally:
        await transport.close()
    assert answer.status == 200


async def test_no_answer_in_time_is_unreachable(transport: HttpWebhookTransport) -> None:
    async with SilentEndpoint() as dead:
        with pytest.raises(EndpointUnreachable) as caught:
            await transport.post(dead.url, b"{}", HEADERS, timeout=0.3)
    assert caught.value.reason == "no answer within 0.3 s"


async def test_a_refused_connection_is_unreachable(transport: HttpWebhookTransport) -> None:
    with pytest.raises(EndpointUnreachable) as caught:
        await transport.post(f"http://127.0.0.1:{free_port()}/hook", b"{}", HEADERS, timeout=2)
    assert caught.value.reason.startswith("cannot connect")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",  # written
        "http://localhost:{port}/hook",  # resolved
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/hook",
    ],
)
async def test_a_private_address_is_never_reached(url: str) -> None:
    transport = HttpWebhookTransport(allow_private=False)
    try:
        async with Receiver() as receiver:
            with pytest.raises(EndpointUnreachable) as caught:
                await asyncio.wait_for(
                    transport.post(url.format(port=receiver.port), b"{}", HEADERS, timeout=2), 5
                )
        assert receiver.received == []
        assert "private network" in caught.value.reason
    finally:
        await transport.close()


async def test_a_bad_url_is_unreachable_not_an_error(transport: HttpWebhookTransport) -> None:
    with pytest.raises(EndpointUnreachable):
        await transport.post("http://[bad/hook", b"{}", HEADERS, timeout=2)
