"""``GET /sandbox/api/info``: what a client needs to know of the sandbox: the public key
Mini App data is signed with, Telegram Login's issuer, the flood limits, the bots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from tgpass.sandbox.oidc_http import issuer_for
from tgpass.sandbox.state import SandboxState

Json = dict[str, Any]


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()

    @api.get("/info")
    async def info(request: Request) -> Json:
        return state.info(issuer_for(state, request))

    return api
