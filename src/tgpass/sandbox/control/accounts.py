"""``/sandbox/api/users``: the people in the world, made and read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tgpass.sandbox.state import SandboxState

Json = dict[str, Any]
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class NewAccount(BaseModel):
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str | None = None
    username: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
    # an IETF tag as Telegram apps report it: en, ru, pt-br
    language_code: str | None = Field("en", pattern=LANGUAGE_TAG, max_length=16)
    phone_number: str | None = None
    photo_url: str | None = None
    is_premium: bool = False
    id: int | None = Field(None, gt=0)


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world

    def account_json(user_id: int) -> Json:
        return {**asdict(world.account(user_id)), "is_bot": False}

    @api.post("/users", status_code=201)
    async def create_user(body: NewAccount) -> Json:
        details = body.model_dump(exclude={"first_name"})
        account = world.add_account(body.first_name, **details)
        return account_json(account.id)

    @api.get("/users")
    async def list_users() -> list[Json]:
        return [account_json(uid) for uid in world.accounts]

    @api.get("/users/{user_id}")
    async def get_user(user_id: int) -> Json:
        return account_json(user_id)

    return api
