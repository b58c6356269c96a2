"""The users' side as a JSON API under ``/sandbox/api``: build a world, act as its users,
set limits and faults. Tests, the phone page and the demo all go through it.

Its errors are tgpass's shape, ``{"error": {"code": ..., "message": ...}}``, the message worded
for the person at the phone; only the sandbox's typed errors are mapped, so that a bug is a
500 with its traceback in the log. The Bot API's paths keep Telegram's envelope, and a
person's browser at a wrong address gets a page that leads to the phone."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from tgpass.accept import prefers_html

from . import join_requests, membership, migration, pages
from .errors import NOT_FOUND, BotApiError, Invalid, NotFound, SandboxError
from .faults import EVERY_BOT, Faults
from .limits import FloodLimits
from .oidc import AuthorizeError, LoginRequest, check_redirect_uris
from .oidc_http import issuer_for
from .oidc_keys import DEFAULT_OVERLAP, TELEGRAM_ALGORITHMS
from .state import SandboxState
from .users import bot_of, group_of
from .world import SigningKey

Json = dict[str, Any]
T = TypeVar("T")
Algorithm = Literal["RS256", "ES256", "EdDSA", "ES256K"]


class NewAccount(BaseModel):
    first_name: str = Field(min_length=1, max_length=64)
    last_name: str | None = None
    username: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
    language_code: str | None = "en"
    phone_number: str | None = None
    photo_url: str | None = None
    is_premium: bool = False
    id: int | None = Field(None, gt=0)


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


class NewChat(BaseModel):
    title: str = Field(min_length=1, max_length=128)
    type: str = Field("supergroup", pattern="^(group|supergroup|channel)$")
    owner_id: int
    username: str | None = None
    members: list[int] = []


class BotInChat(BaseModel):
    bot_id: int
    admin_rights: Json | None = None


class Member(BaseModel):
    user_id: int


class Start(BaseModel):
    bot: str
    payload: str | None = None


class Text(BaseModel):
    bot: str
    text: str


class ToBot(BaseModel):
    bot: str


class Press(BaseModel):
    bot: str
    message_id: int = 0
    text: str


class ShareChat(BaseModel):
    """The answer to a request_chat button: an existing chat, or a new one by its title."""

    bot: str
    request_id: int
    chat_id: int | None = None
    new_title: str | None = Field(None, min_length=1, max_length=128)


class MiniApp(BaseModel):
    bot: str
    start_param: str | None = None


class Link(BaseModel):
    url: str


class Invite(BaseModel):
    invite_link: str


class ChatRef(BaseModel):
    chat_id: int


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


class GuardBot(BaseModel):
    bot_id: int | None  # None: no guard bot; requests go to every administrator bot


class Upgrade(BaseModel):
    user_id: int | None = None  # who upgrades it; the owner when left out


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
_HTTP_MESSAGES = {
    404: "There is nothing at this address.",
    405: "This address does not take {method} requests.",
}
_TELEGRAM_PREFIXES = ("Bad Request: ", "Forbidden: ", "Unauthorized: ", "Conflict: ")
BUG_MESSAGE = "Something went wrong in the sandbox; its log tells what."


def _error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **details}}, status)


def _is_bot_api(request: Request) -> bool:
    """``/bot<token>/<method>``: answered as Telegram answers, whatever goes wrong."""
    return request.url.path.startswith("/bot")


def _telegram_in_words(description: str) -> str:
    """Telegram's description as a sentence: ``Bad Request: chat not found`` -> ``Chat not
    found.``"""
    text = next(
        (description.removeprefix(p) for p in _TELEGRAM_PREFIXES if description.startswith(p)),
        description,
    )
    return text[:1].upper() + text[1:].rstrip(".") + "."


async def _sandbox_error(request: Request, failure: SandboxError) -> JSONResponse:
    return JSONResponse(failure.to_dict(), failure.status)


async def _telegram_refusal(request: Request, failure: BotApiError) -> JSONResponse:
    """A Bot API rule met on the users' side (a ban, a migrated group): Telegram's words as
    the message, its error as details."""
    words = _telegram_in_words(failure.description)
    details = {"error_code": failure.error_code, "description": failure.description}
    return _error(400, "telegram_error", words, **details)


async def _invalid_input(request: Request, failure: RequestValidationError) -> JSONResponse:
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
        for e in failure.errors()
    ]
    return _error(422, "invalid_input", "The request is not valid.", details=details)


async def _http_error(request: Request, failure: HTTPException) -> Response:
    """A wrong address or method: Telegram's 404 on the Bot API's paths, a page leading to
    the phone for a person's browser, tgpass's shape for programs."""
    status = failure.status_code
    if _is_bot_api(request):
        refusal = NOT_FOUND if status == 404 else BotApiError(status, str(failure.detail))
        return JSONResponse(refusal.to_dict(), status, headers=failure.headers)
    if prefers_html(request.headers.get("accept", "")):
        return pages.error_page(status, headers=failure.headers)
    answer = _error(
        status,
        _HTTP_CODES.get(status, "http_error"),
        _HTTP_MESSAGES.get(status, str(failure.detail)).format(method=request.method),
        path=request.url.path,
    )
    answer.headers.update(failure.headers or {})
    return answer


async def _bug(request: Request, failure: Exception) -> Response:
    """Any other exception is a bug: a 500, its traceback logged by the server."""
    if _is_bot_api(request):
        return JSONResponse(BotApiError(500, "Internal Server Error").to_dict(), 500)
    if prefers_html(request.headers.get("accept", "")):
        return pages.error_page(500)
    return _error(500, "internal", BUG_MESSAGE)


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(SandboxError)(_sandbox_error)
    app.exception_handler(BotApiError)(_telegram_refusal)
    app.exception_handler(RequestValidationError)(_invalid_input)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(Exception)(_bug)


def control_api(state: SandboxState) -> APIRouter:
    api = APIRouter(prefix="/sandbox/api", tags=["sandbox"])
    world = state.world
    users = state.users

    async def acted(result: T) -> T:
        await state.notify()
        return result

    def account_json(user_id: int) -> Json:
        return {**asdict(world.account(user_id)), "is_bot": False}

    @api.get("/info")
    async def info(request: Request) -> Json:
        return state.info(issuer_for(state, request))

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

    @api.get("/bots/{bot_id}/oidc")
    async def bot_oidc(bot_id: int) -> Json:
        """The bot as a Telegram Login client: ``{"client_id", "client_secret",
        "redirect_uris", "algorithm"}``."""
        return state.oidc.client(bot_of(world, bot_id))

    @api.put("/bots/{bot_id}/oidc")
    async def set_bot_oidc(bot_id: int, body: OidcClient) -> Json:
        bot = bot_of(world, bot_id)
        return state.oidc.configure(bot, redirect_uris=body.redirect_uris, algorithm=body.algorithm)

    def key_json(key: SigningKey) -> Json:
        return {
            "kid": key.kid,
            "alg": key.alg,
            "created_at": key.created_at,
            "retire_at": key.retire_at,
            "current": key.retire_at is None,
        }

    @api.get("/oidc/keys")
    async def oidc_keys() -> list[Json]:
        """The published ID token keys: the current one of each algorithm and those rotated
        out, until their ``retire_at``."""
        return [key_json(k) for k in state.oidc.keys.published()]

    @api.post("/oidc/rotate")
    async def rotate_oidc_keys(body: OidcRotation | None = None) -> Json:
        """New current keys; ``{"rotated": [new kids], "keys": [published keys]}``."""
        body = body or OidcRotation()
        algorithms = [body.algorithm] if body.algorithm else list(TELEGRAM_ALGORITHMS)
        made = state.oidc.keys.rotate(algorithms, body.overlap_seconds)
        published = [key_json(k) for k in state.oidc.keys.published()]
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

    @api.post("/chats", status_code=201)
    async def create_chat(body: NewChat) -> Json:
        for user_id in (body.owner_id, *body.members):
            world.account(user_id)
        chat = world.add_chat(
            body.title,
            type=body.type,
            owner_id=body.owner_id,
            username=body.username,
            members=body.members,
        )
        return chat.as_chat()

    @api.get("/chats/{chat_id}")
    async def get_chat(chat_id: int) -> Json:
        chat = group_of(world, chat_id)
        members = [world.member_json(chat, uid) for uid in chat.members]
        return {**chat.as_chat(), "members": members, "messages": chat.messages}

    @api.post("/chats/{chat_id}/bots")
    async def add_bot_to_chat(chat_id: int, body: BotInChat) -> Json:
        bot, chat = bot_of(world, body.bot_id), group_of(world, chat_id)
        membership.add_bot_to_chat(world, bot.id, chat.id, admin_rights=body.admin_rights)
        return await acted(world.member_json(chat, bot.id))

    @api.put("/chats/{chat_id}/guard_bot")
    async def set_guard_bot(chat_id: int, body: GuardBot) -> Json:
        """The owner assigns the bot that processes the chat's join request queries."""
        join_requests.assign_guard_bot(world, group_of(world, chat_id), body.bot_id)
        return {"chat_id": chat_id, "guard_bot_id": body.bot_id}

    @api.post("/chats/{chat_id}/upgrade")
    async def upgrade_group(chat_id: int, body: Upgrade | None = None) -> Json:
        """Upgrade a basic group to a supergroup: a new id, the old one answers 400 with
        ``migrate_to_chat_id``; bots get the two migration service messages."""
        group_of(world, chat_id)
        supergroup = migration.upgrade_group(world, chat_id, body.user_id if body else None)
        return await acted({**supergroup.as_chat(), "migrate_from_chat_id": chat_id})

    @api.post("/chats/{chat_id}/members")
    async def add_member(chat_id: int, body: Member) -> Json:
        world.account(body.user_id)
        chat = group_of(world, chat_id)
        membership.join(world, body.user_id, chat, None)
        return await acted(world.member_json(chat, body.user_id))

    @api.post("/users/{user_id}/open")
    async def open_link(user_id: int, body: Link) -> Json:
        return await acted(users.open_link(user_id, body.url))

    @api.post("/users/{user_id}/start")
    async def start(user_id: int, body: Start) -> Json:
        return await acted(users.press_start(user_id, body.bot, body.payload))

    @api.post("/users/{user_id}/messages")
    async def send(user_id: int, body: Text) -> Json:
        return await acted(users.send_text(user_id, body.bot, body.text))

    @api.post("/users/{user_id}/press")
    async def press(user_id: int, body: Press) -> Json:
        return await acted(users.press_button(user_id, body.bot, body.message_id, body.text))

    @api.post("/users/{user_id}/contact")
    async def share_contact(user_id: int, body: ToBot) -> Json:
        return await acted(users.share_contact(user_id, body.bot))

    @api.post("/users/{user_id}/share_chat")
    async def share_chat(user_id: int, body: ShareChat) -> Json:
        shared = users.share_chat(
            user_id, body.bot, body.request_id, chat_id=body.chat_id, new_title=body.new_title
        )
        return await acted(shared)

    @api.post("/users/{user_id}/mini_app")
    async def open_mini_app(user_id: int, body: MiniApp) -> Json:
        return await acted(users.open_mini_app(user_id, body.bot, body.start_param))

    @api.post("/users/{user_id}/invites")
    async def open_invite(user_id: int, body: Invite) -> Json:
        return await acted(users.open_invite(user_id, body.invite_link))

    @api.post("/users/{user_id}/leave")
    async def leave(user_id: int, body: ChatRef) -> Json:
        return await acted(users.leave(user_id, body.chat_id))

    @api.post("/users/{user_id}/block")
    async def block(user_id: int, body: ToBot) -> Json:
        world.account(user_id)
        world.block(user_id, world.bot_by_username(body.bot))
        return await acted({"blocked": True})

    @api.post("/users/{user_id}/unblock")
    async def unblock(user_id: int, body: ToBot) -> Json:
        world.account(user_id)
        world.unblock(user_id, world.bot_by_username(body.bot))
        return await acted({"blocked": False})

    @api.get("/users/{user_id}/chats")
    async def chats(user_id: int) -> list[Json]:
        return users.chats(user_id)

    @api.get("/users/{user_id}/dialogs/{bot}")
    async def read_dialog(user_id: int, bot: str) -> Json:
        world.account(user_id)
        found = world.bot_by_username(bot)
        dialog = world.dialog(found.id, user_id)
        return {
            "bot": {**found.as_user(), "has_main_web_app": found.web_app_url is not None},
            "started": dialog.started,
            "blocked": dialog.blocked,
            "pending_start": dialog.pending_start,
            "messages": dialog.messages,
            "reply_keyboard": dialog.reply_keyboard,
            # links the user asked to join by: the phone disables their buttons meanwhile
            "pending_invites": join_requests.pending_links(world, user_id),
        }

    @api.get("/users/{user_id}/received")
    async def received(user_id: int, bot: str | None = None, since: float = 0.0) -> list[Json]:
        """Every message the user received in private from ``bot`` (every bot when left out),
        oldest first: ``{"bot", "message_id", "chat_id", "date", "text", "paid_broadcast"}``,
        ``date`` in Unix seconds with fractions; ``since`` keeps those sent at or after it.
        Deleting a message later does not remove it here: it was delivered."""
        world.account(user_id)
        bots = [world.bot_by_username(bot)] if bot else list(world.bots.values())
        found = [
            {"bot": b.username, **delivery}
            for b in bots
            if (dialog := world.dialogs.get((b.id, user_id))) is not None
            for delivery in dialog.deliveries
            if delivery["date"] >= since
        ]
        return sorted(found, key=lambda d: d["date"])

    @api.post("/users/{user_id}/widget_login")
    async def widget_login(user_id: int, body: ToBot) -> dict[str, str]:
        return users.widget_login(user_id, body.bot)

    @api.get("/callback_queries/{query_id}")
    async def callback_answer(query_id: str) -> Json:
        if query_id not in world.callback_queries:
            raise NotFound("This button press is unknown.", callback_query_id=query_id)
        return {
            "answered": query_id in world.callback_answers,
            **world.callback_answers.get(query_id, {}),
        }

    @api.put("/limits")
    async def set_limits(body: Limits) -> Json:
        """Replace the flood limits (see ``Limits``); the counters start afresh."""
        world.flood.reset(FloodLimits(**body.model_dump()))
        return asdict(world.flood.limits)

    @api.get("/limits")
    async def get_limits() -> Json:
        return asdict(world.flood.limits)

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
