"""Hostile and unusual updates by webhook: every update read is answered 2xx, what cannot be
read becomes a dead letter, and the next update is still handled. A hypothesis fuzz of the
endpoint: never a 500."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.harness.stack import Stack

HOOK = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret_1"}


def message(update_id: int, sender: dict[str, Any], text: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_800_000_000,
            "chat": {"id": sender["id"], "type": "private", "first_name": "x"},
            "from": sender,
            "text": text,
        },
    }


async def post(stack: Stack, body: Any) -> int:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = await stack.web.post(
        "/telegram/webhook", content=raw, headers={**HOOK, "Content-Type": "application/json"}
    )
    return answer.status_code


async def test_longest_names_sign_in_by_the_bot_and_nothing_stalls(stack: Stack) -> None:
    tg = await stack.new_tg_user("A" * 64, last_name="B" * 64)
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    await stack.users.send(tg, stack.bot_username, "/login")
    await stack.pump()
    said = await stack.bot_says(tg)
    assert "Here is your sign-in link" in said[-1]["text"]
    async with stack.services.uow() as tx:
        assert await tx.updates.failed() == []


async def test_unreadable_updates_are_dead_letters_and_the_next_is_handled(
    stack: Stack,
) -> None:
    tg = await stack.new_tg_user("Ann")
    await stack.users.start(tg, stack.bot_username)
    await stack.pump()
    person = {"id": tg, "is_bot": False, "first_name": "Ann"}
    nested: Any = "x"
    for _ in range(500):  # deep, yet JSON a parser reads
        nested = [nested]
    hostile = [
        message(9001, person, {"an": "object"}),  # text of the wrong type
        message(9002, {**person, "id": 2**70}, "/start"),  # an id past 64 bits
        message(9003, {**person, "first_name": "A\x00B"}, "/start"),  # NUL
        message(9004, person, nested),  # nested deeply
    ]
    for update in hostile:
        assert await post(stack, update) == 200
    assert await post(stack, b'{"update_id": 9005, "message": ' + b"[" * 100_000) == 400
    assert await post(stack, {"update_id": 2**70}) == 400  # not an update at all
    async with stack.services.uow() as tx:
        dead = {f.update_id for f in await tx.updates.failed()}
    assert dead == {9001, 9002, 9003, 9004}
    before = len(await stack.bot_says(tg))
    assert await post(stack, message(9010, person, "/help")) == 200
    assert len(await stack.bot_says(tg)) == before + 1


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
FIELDS = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=1, max_value=2**40)},
    optional={
        "message": st.fixed_dictionaries(
            {},
            optional={
                "message_id": JSONISH,
                "date": JSONISH,
                "chat": st.fixed_dictionaries(
                    {"id": st.integers(), "type": st.sampled_from(["private", "group"])},
                    optional={"first_name": JSONISH},
                ),
                "from": st.fixed_dictionaries(
                    {"id": st.integers(), "first_name": JSONISH},
                    optional={"is_bot": JSONISH, "last_name": JSONISH, "username": JSONISH},
                ),
                "text": JSONISH,
                "contact": JSONISH,
            },
        ),
        "callback_query": JSONISH,
        "my_chat_member": JSONISH,
    },
)


async def test_fuzzed_updates_never_get_a_500(stack: Stack) -> None:
    # Hypothesis draws the updates (it cannot drive this async stack itself); each is then
    # posted as Telegram would.
    drawn: list[Any] = []

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(update=FIELDS | JSONISH)
    def draw(update: Any) -> None:
        drawn.append(update)

    draw()
    for update in drawn:
        status = await post(stack, update)
        assert status in {200, 400}, (status, update)
    # and the bot still answers afterwards
    tg = await stack.new_tg_user("After")
    await stack.users.send(tg, stack.bot_username, "/help")
    await stack.pump()
    assert (await stack.bot_says(tg))[-1]["text"].startswith("I link your")
