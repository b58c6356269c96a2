"""``/sandbox/api/faults``: failures and latency on demand, for one bot or every bot. They
are applied by ``sandbox/faults.py``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tgpass.sandbox.faults import EVERY_BOT, Faults
from tgpass.sandbox.state import SandboxState

Json = dict[str, Any]


class FaultSettings(BaseModel):
    """Faults for one bot (``bot_id``) or every bot (``bot_id`` 0), applied to every Bot API
    call, sendMessage included, before it runs (a failed call delivers nothing):
    ``{"error_rate": 0.2}``: a fifth of calls answer 500 ``Internal Server Error``;
    ``{"flood_seconds": 5}``: every call answers 429 with the seconds left as ``retry_after``
    for the next 5 seconds; ``latency`` delays every answer; ``webhook_failures`` and
    ``webhook_failure_rate`` make webhook deliveries fail. A new PUT for the same ``bot_id``
    replaces its faults; ``DELETE /sandbox/api/faults`` clears all."""

    bot_id: int = EVERY_BOT
    latency: float = Field(0.0, ge=0, le=30)
    error_rate: float = Field(0.0, ge=0, le=1)
    flood_seconds: float = Field(0.0, ge=0)
    webhook_failures: int = Field(0, ge=0)
    webhook_failure_rate: float = Field(0.0, ge=0, le=1)


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world

    @api.put("/faults")
    async def set_faults(body: FaultSettings) -> Json:
        settings = body.model_dump(exclude={"bot_id", "flood_seconds"})
        flood_until = world.clock() + body.flood_seconds if body.flood_seconds else 0.0
        state.faults.set(Faults(**settings, flood_until=flood_until), body.bot_id)
        return {"bot_id": body.bot_id, **settings, "flood_until": flood_until}

    @api.delete("/faults")
    async def clear_faults() -> Json:
        state.faults.clear()
        return {"cleared": True}

    return api
