"""The webhook's secret, over HTTP only: without a configured secret every update is refused,
and with one only the exact secret gets an update handled.

Each refusal is also checked by its effect: the update carries ``/start <link code>`` from a
real sandbox user, and the account stays unlinked. The same update with the right secret
links it, so the refusals are of an update that would otherwise have counted.
"""

from __future__ import annotations

import itertools
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.harness.stack import Stack

SECRET = "hook-secret_1"  # what conftest's settings configure
HEADER = "X-Telegram-Bot-Api-Secret-Token"
_update_ids = itertools.count(1000)


async def link_code(stack: Stack) -> str:
    answer = await stack.register("ann")
    assert answer.status_code == 201
    offer = await stack.web.post("/api/link")
    assert offer.status_code == 200, offer.text
    (code,) = parse_qs(urlsplit(offer.json()["url"]).query)["start"]
    return code


def start_update(tg: int, code: str) -> dict[str, Any]:
    text = f"/start {code}"
    sender = {"id": tg, "is_bot": False, "first_name": "Ann"}
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(time.time()),
            "chat": {"id": tg, "type": "private", "first_name": "Ann"},
            "from": sender,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len("/start")}],
        },
    }


async def linked(stack: Stack) -> bool:
    return bool((await stack.web.get("/api/link")).json()["linked"])


def sent_secrets(configured: str) -> list[dict[str, str]]:
    """Every header a caller might send that is not exactly ``configured``."""
    variants = [None, "", " ", "wrong", "x" * 256, SECRET, SECRET.upper(), SECRET[:-1]]
    variants += [SECRET + "x", f" {SECRET}", f"{SECRET} ", SECRET.encode().hex()]
    headers = [{} if value is None else {HEADER: value} for value in variants]
    return [h for h in headers if not configured or h.get(HEADER) != configured]


@pytest.mark.parametrize("stack", [{"webhook_secret": ""}], indirect=True)
async def test_without_a_secret_every_update_is_refused(stack: Stack) -> None:
    code = await link_code(stack)
    tg = await stack.new_tg_user("Ann")
    for headers in sent_secrets(""):
        answer = await stack.web.post(
            "/telegram/webhook", json=start_update(tg, code), headers=headers
        )
        assert 400 <= answer.status_code < 500, (headers, answer.status_code)
        assert not await linked(stack), headers
    # Not even a body that is not an update gets past the missing secret to the parser.
    for body in (b"{not json", b"[]", b"{}"):
        answer = await stack.web.post("/telegram/webhook", content=body, headers={HEADER: ""})
        assert 400 <= answer.status_code < 500


async def test_a_wrong_secret_is_refused_and_the_right_one_is_handled(stack: Stack) -> None:
    code = await link_code(stack)
    tg = await stack.new_tg_user("Ann")
    for headers in sent_secrets(SECRET):
        answer = await stack.web.post(
            "/telegram/webhook", json=start_update(tg, code), headers=headers
        )
        assert answer.status_code == 403, (headers, answer.status_code)
        assert not await linked(stack), headers
    # The same update with the exact secret is handled: the account is now linked.
    answer = await stack.web.post(
        "/telegram/webhook", json=start_update(tg, code), headers={HEADER: SECRET}
    )
    assert answer.status_code == 200, answer.text
    assert await linked(stack)
    assert (await stack.web.get("/api/link")).json()["telegram"]["id"] == tg
