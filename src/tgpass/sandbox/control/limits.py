"""``/sandbox/api/limits``: Telegram's flood limits on sendMessage, read and replaced. The
counting is ``sandbox/limits.py``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tgpass.sandbox.limits import FloodLimits
from tgpass.sandbox.state import SandboxState

Json = dict[str, Any]


class Limits(BaseModel):
    """Flood limits for every bot (``PUT /sandbox/api/limits``); what is left out takes
    Telegram's figure. Telegram's: ``{}``. Ten times stricter, for quick backoff tests:
    ``{"scale": 0.1}`` (3/s per bot, 0.1/s per private chat, 2/min per group). None at all:
    ``{"enabled": false}``. Over a limit, sendMessage answers 429
    ``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
    "parameters": {"retry_after": N}}`` and the message is not delivered."""

    enabled: bool = True
    bot_per_second: float = Field(30.0, gt=0, description="messages/s per bot, all chats")
    private_per_second: float = Field(1.0, gt=0, description="messages/s into one private chat")
    private_burst: float = Field(3.0, ge=1, description="messages a private chat takes at once")
    group_per_minute: float = Field(20.0, gt=0, description="messages/min into one group")
    paid_broadcast_per_second: float = Field(
        1000.0, gt=0, description="messages/s per bot sent with allow_paid_broadcast"
    )
    scale: float = Field(1.0, gt=0, description="multiplies every rate above")


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world

    @api.put("/limits")
    async def set_limits(body: Limits) -> Json:
        """Replace the flood limits (see ``Limits``); the counters start afresh."""
        world.flood.reset(FloodLimits(**body.model_dump()))
        return asdict(world.flood.limits)

    @api.get("/limits")
    async def get_limits() -> Json:
        return asdict(world.flood.limits)

    return api
