"""Telegram Login (OpenID Connect) from the sandbox's side: a bot's client settings
(``/sandbox/api/bots/{bot_id}/oidc``), the keys ID tokens are signed with (``/oidc/keys``,
``/oidc/rotate``), a login request waiting for the user (``/oidc/requests/{request_id}``),
and the user's answer to it (``/users/{user_id}/oidc/approve`` and ``.../decline``). The
provider itself, which sites talk to, is ``sandbox/oidc_http.py``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tgpass.sandbox.errors import Invalid
from tgpass.sandbox.oidc import AuthorizeError, LoginRequest
from tgpass.sandbox.oidc_keys import DEFAULT_OVERLAP, TELEGRAM_ALGORITHMS, Algorithm
from tgpass.sandbox.state import SandboxState
from tgpass.sandbox.users import bot_of
from tgpass.sandbox.world import SigningKey

Json = dict[str, Any]


class OidcClient(BaseModel):
    """A bot's Telegram Login settings (BotFather's Web Login): what is given is replaced."""

    redirect_uris: list[str] | None = Field(None, description="allowed redirect URLs, exact")
    algorithm: Algorithm | None = Field(None, description="how its ID tokens are signed")


class OidcRotation(BaseModel):
    """New signing keys: for ``algorithm``, or every algorithm when left out. The keys they
    replace stay in the JWKS for ``overlap_seconds`` (0: removed at once)."""

    algorithm: Algorithm | None = None
    overlap_seconds: float = Field(default=DEFAULT_OVERLAP, ge=0, le=30 * 86400)


class OidcAnswer(BaseModel):
    """Which login request the user answers: ``request_id`` (the phone's ``?oidc=``), or the
    ``authorize_url`` the site sent the browser to, checked as the authorization endpoint
    checks it."""

    request_id: str | None = None
    authorize_url: str | None = None


class OidcApproval(OidcAnswer):
    share_phone_number: bool = Field(False, description="if the site asked for ``phone``")
    write_allowed: bool = Field(True, description="if the site asked for telegram:bot_access")


def _key_json(key: SigningKey) -> Json:
    return {
        "kid": key.kid,
        "alg": key.alg,
        "created_at": key.created_at,
        "retire_at": key.retire_at,
        "current": key.retire_at is None,
    }


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()
    world = state.world

    @api.get("/bots/{bot_id}/oidc")
    async def bot_oidc(bot_id: int) -> Json:
        """The bot as a Telegram Login client: ``{"client_id", "client_secret",
        "redirect_uris", "algorithm"}``."""
        return state.oidc.client(bot_of(world, bot_id))

    @api.put("/bots/{bot_id}/oidc")
    async def set_bot_oidc(bot_id: int, body: OidcClient) -> Json:
        bot = bot_of(world, bot_id)
        return state.oidc.configure(bot, redirect_uris=body.redirect_uris, algorithm=body.algorithm)

    @api.get("/oidc/keys")
    async def oidc_keys() -> list[Json]:
        """The published ID token keys: the current one of each algorithm and those rotated
        out, until their ``retire_at``."""
        return [_key_json(k) for k in state.oidc.keys.published()]

    @api.post("/oidc/rotate")
    async def rotate_oidc_keys(body: OidcRotation | None = None) -> Json:
        """New current keys; ``{"rotated": [new kids], "keys": [published keys]}``."""
        body = body or OidcRotation()
        algorithms = [body.algorithm] if body.algorithm else list(TELEGRAM_ALGORITHMS)
        made = state.oidc.keys.rotate(algorithms, body.overlap_seconds)
        published = [_key_json(k) for k in state.oidc.keys.published()]
        return {"rotated": [k.kid for k in made], "keys": published}

    @api.get("/oidc/requests/{request_id}")
    async def oidc_request(request_id: str) -> Json:
        """A login request waiting for the user: the bot, the site, the scopes asked for."""
        return state.oidc.describe(state.oidc.pending(request_id))

    def login_request(body: OidcAnswer) -> LoginRequest | Json:
        """The request, or the redirect that refuses the authorize URL."""
        if (body.request_id is None) == (body.authorize_url is None):
            raise Invalid("give request_id or authorize_url")
        if body.request_id is not None:
            return state.oidc.pending(body.request_id)
        params = parse_qs(urlsplit(body.authorize_url or "").query, keep_blank_values=True)
        try:
            return state.oidc.begin(params)  # LoginPageError: no such client, a wrong URL
        except AuthorizeError as refused:
            return {"kind": "url", "url": refused.location}

    @api.post("/users/{user_id}/oidc/approve")
    async def approve_oidc_login(user_id: int, body: OidcApproval) -> Json:
        """The user logs in: ``{"kind": "url", "url": <redirect_uri>?code=...&state=...}``."""
        world.account(user_id)
        request = login_request(body)
        if not isinstance(request, LoginRequest):
            return request
        url = state.oidc.approve(
            user_id,
            request.id,
            share_phone_number=body.share_phone_number,
            write_allowed=body.write_allowed,
        )
        return {"kind": "url", "url": url}

    @api.post("/users/{user_id}/oidc/decline")
    async def decline_oidc_login(user_id: int, body: OidcAnswer) -> Json:
        """The user declines: ``{"kind": "url", "url": <redirect_uri>?error=access_denied...}``."""
        world.account(user_id)
        request = login_request(body)
        if not isinstance(request, LoginRequest):
            return request
        return {"kind": "url", "url": state.oidc.decline(user_id, request.id)}

    return api
