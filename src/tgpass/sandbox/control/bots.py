"""``/sandbox/api/bots``: the bots in the world, made (with their token and Telegram Login
client secret) and listed. A bot's Telegram Login settings are in ``login``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tgpass.sandbox.oidc import check_redirect_uris
from tgpass.sandbox.oidc_keys import Algorithm
from tgpass.sandbox.state import SandboxState

Json = dict[str, Any]


class NewBot(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
    first_name: str | None = None
    token: str | None = None
    web_app_url: str | None = None
    join_request_queries: bool = False  # may be a chat's guard bot (Bot API 10.1)
    id: int | None = Field(None, gt=0)
    oidc_redirect_uris: list[str] = Field(
        default_factory=list, description="Telegram Login's allowed redirect URLs"
    )
    oidc_algorithm: Algorithm = Field("RS256", description="how its ID tokens are signed")


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world

    @api.post("/bots", status_code=201)
    async def create_bot(body: NewBot) -> Json:
        details = body.model_dump()
        details["oidc_redirect_uris"] = check_redirect_uris(body.oidc_redirect_uris)
        bot = world.add_bot(**details)
        return {
            **bot.as_user(),
            "token": bot.token,
            "web_app_url": bot.web_app_url,
            "oidc_client_secret": bot.oidc_client_secret,
            "oidc_redirect_uris": bot.oidc_redirect_uris,
            "oidc_algorithm": bot.oidc_algorithm,
        }

    @api.get("/bots")
    async def list_bots() -> list[Json]:
        return [{**b.as_user(), "web_app_url": b.web_app_url} for b in world.bots.values()]

    return api
