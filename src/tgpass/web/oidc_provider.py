"""The OpenID provider over HTTP: discovery, JWKS, the authorization endpoint (sign-in, then a
consent page remembered per client), token, userinfo, revocation and RP-initiated logout, and
client registration on the site API (``POST /api/site/oidc/clients``).

The protocol endpoints answer in the protocol's error format, which clients parse:
``{"error": "invalid_grant", "error_description": ...}`` (RFC 6749 §5.2) and, at userinfo,
``WWW-Authenticate: Bearer error="invalid_token"`` (RFC 6750 §3). An authorization request
that cannot be trusted to redirect (unknown client, a redirect URI not registered) gets an
error page, never a redirect. The site API answers in the house format like the rest of it.

Codes and tokens never reach the logs: Authlib's logger is kept above DEBUG (it logs issued
tokens there), access logs keep no query strings (``tgpass.web.logs``), and the provider logs
only what happened, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from tgpass.errors import InvalidInput, TgpassError
from tgpass.service.accounts.sessions import Session, SessionService
from tgpass.service.oidc.provider.service import (
    AskConsent,
    AuthorizeOutcome,
    ConfirmLogout,
    Endpoints,
    EndUser,
    InsufficientScope,
    InvalidToken,
    NewClient,
    ProtocolRequest,
    ProtocolResponse,
    Redirect,
    Refused,
    SignedOut,
    SignInFirst,
)
from tgpass.service.oidc.provider.store import OidcClient

from . import deps
from .deps import Provider, Sessions, site_api_key
from .errors import status_of
from .language import error_words
from .rendering import render

Pairs = tuple[tuple[str, str], ...]
FORM = "application/x-www-form-urlencoded"
# The consent and logout pages are never framed (clickjacking) nor cached.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
JSON_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
LOGOUT_PARAMS = (
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "logout_hint",
    "ui_locales",
)


@dataclass(frozen=True, slots=True)
class Paths:
    discovery: str = "/.well-known/openid-configuration"
    authorize: str = "/oidc/authorize"
    consent: str = "/oidc/authorize/consent"
    token: str = "/oidc/token"  # noqa: S105 (a path)
    userinfo: str = "/oidc/userinfo"
    jwks: str = "/oidc/jwks"
    logout: str = "/oidc/logout"
    revoke: str = "/oidc/revoke"


PATHS = Paths()


def endpoints(issuer: str) -> Endpoints:
    return Endpoints(
        authorization=issuer + PATHS.authorize,
        token=issuer + PATHS.token,
        userinfo=issuer + PATHS.userinfo,
        jwks=issuer + PATHS.jwks,
        end_session=issuer + PATHS.logout,
        revocation=issuer + PATHS.revoke,
    )


# -- HTTP to protocol and back ----------------------------------------------------------------


def _pairs(raw: bytes) -> Pairs:
    """The parameters of a query string or form."""
    try:
        return tuple(parse_qsl(raw.decode(), keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        raise InvalidInput("the parameters are not valid UTF-8", code="invalid_request") from None


async def protocol_request(request: Request, issuer: str) -> ProtocolRequest:
    """The request as the protocol sees it; InvalidInput (``invalid_request``) when it cannot
    be read: a form not form-encoded, bytes that are not UTF-8."""
    raw_query: bytes = request.scope.get("query_string", b"")
    query = _pairs(raw_query)
    form: Pairs = ()
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != FORM:
            raise InvalidInput(
                "send the parameters as {kind}", code="invalid_request", values={"kind": FORM}
            )
        form = _pairs(await request.body())
    url = issuer + request.url.path + (f"?{raw_query.decode('latin-1')}" if raw_query else "")
    authorization = request.headers.get("authorization")
    headers = (("authorization", authorization),) if authorization is not None else ()
    return ProtocolRequest(request.method, url, query, form, headers)


def protocol_response(found: ProtocolResponse) -> Response:
    headers = {k: v for k, v in found.headers if k.lower() != "content-type"}
    if isinstance(found.body, Mapping):
        return JSONResponse(dict(found.body), found.status, headers=headers)
    return Response(found.body, found.status, headers=headers)


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status, headers=JSON_NO_STORE)


def _bearer_error(error: InvalidToken | InsufficientScope, sent: bool) -> JSONResponse:
    if isinstance(error, InsufficientScope):
        challenge = 'Bearer error="insufficient_scope", scope="openid"'
        return JSONResponse(
            {"error": error.code, "error_description": error.message},
            403,
            headers={"WWW-Authenticate": challenge},
        )
    # RFC 6750 §3.1: no error code when the request carried no token at all
    challenge = f'Bearer error="invalid_token", error_description="{error.message}"'
    return JSONResponse(
        {"error": error.code, "error_description": error.message},
        401,
        headers={"WWW-Authenticate": challenge if sent else "Bearer"},
    )


async def _session(request: Request, sessions: SessionService) -> Session | None:
    return await sessions.resolve(request.cookies.get(deps.SESSION_COOKIE))


def _end_user(session: Session | None) -> EndUser | None:
    return None if session is None else EndUser(session.user, session.created_at)


async def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    response = await render(request, name, status, **context)
    response.headers.update(PAGE_HEADERS)
    return response


async def _error_page(
    request: Request, error: str, description: str, status: int = 400
) -> Response:
    return await _page(request, "oidc_error.html", status, error=error, description=description)


def _sign_in(pairs: Pairs, *, drop_login: bool) -> Response:
    """To the login page, with the way back to this authorization request."""
    kept: list[tuple[str, str]] = []
    for key, value in pairs:
        if key == "prompt" and drop_login:
            value = " ".join(p for p in value.split() if p != "login")
            if not value:
                continue
        kept.append((key, value))
    back = f"{PATHS.authorize}?{urlencode(kept)}"
    return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)


async def _answer(
    request: Request, outcome: AuthorizeOutcome, session: Session | None, pairs: Pairs
) -> Response:
    if isinstance(outcome, SignInFirst):
        return _sign_in(pairs, drop_login=outcome.drop_login)
    if isinstance(outcome, Redirect):
        return RedirectResponse(outcome.location, 302 if request.method == "GET" else 303)
    if isinstance(outcome, Refused):
        return await _error_page(request, outcome.error, outcome.description, outcome.status)
    assert isinstance(outcome, AskConsent)
    assert session is not None
    return await _page(
        request,
        "oidc_consent.html",
        client_name=outcome.client_name,
        scopes=outcome.scopes,
        action=f"{PATHS.consent}?{urlencode(pairs)}",
        user=session.user,
        csrf_token=session.csrf_token,
    )


# -- the site API's side ------------------------------------------------------------------------


class ClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    redirect_uris: list[Annotated[str, Field(max_length=1000)]] = Field(min_length=1, max_length=20)
    post_logout_redirect_uris: list[Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=list, max_length=20
    )
    public: bool = Field(
        default=False, description="A mobile or browser app: no secret, PKCE (S256) required."
    )
    scopes: list[Annotated[str, Field(max_length=32)]] | None = Field(
        default=None, max_length=10, description="The scopes it may ask for (default: all)."
    )
    id_token_signed_response_alg: Literal["RS256", "ES256"] = "RS256"  # noqa: S105 (a name)


class ClientOut(BaseModel):
    client_id: str
    client_secret: str | None = Field(
        default=None, description="Shown once, at registration; absent for a public client."
    )
    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    scopes: list[str]
    token_endpoint_auth_method: str
    id_token_signed_response_alg: str

    @classmethod
    def of(cls, client: OidcClient, secret: str | None = None) -> ClientOut:
        return cls(
            client_id=client.client_id,
            client_secret=secret,
            name=client.name,
            redirect_uris=list(client.redirect_uris),
            post_logout_redirect_uris=list(client.post_logout_redirect_uris),
            scopes=sorted(client.scopes),
            token_endpoint_auth_method="none" if client.public else "client_secret_basic",
            id_token_signed_response_alg=client.id_token_alg,
        )

    @classmethod
    def registered(cls, made: NewClient) -> ClientOut:
        return cls.of(made.client, made.secret)


SITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or wrong API key"},
    422: {"description": "Invalid input"},
}


# -- the routes (the protocol's, and the site API's client registration) -----------------

pages = APIRouter(include_in_schema=False)


@pages.get(PATHS.discovery)
async def discovery(found: Provider) -> Response:
    return JSONResponse(
        found.discovery(endpoints(found.issuer)),
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


@pages.get(PATHS.jwks)
async def jwks(found: Provider) -> Response:
    return JSONResponse(
        await found.jwks(),
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@pages.api_route(PATHS.authorize, methods=["GET", "POST"])
async def authorize(request: Request, found: Provider, sessions: Sessions) -> Response:
    try:
        sent = await protocol_request(request, found.issuer)
    except InvalidInput as error:
        return await _error_page(request, "invalid_request", error_words(request, error))
    session = await _session(request, sessions)
    outcome = await found.authorize(sent, _end_user(session))
    return await _answer(request, outcome, session, sent.pairs())


@pages.post(PATHS.consent)
async def consent(
    request: Request,
    found: Provider,
    sessions: Sessions,
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    decision: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        query = _pairs(request.scope.get("query_string", b""))
    except InvalidInput as error:
        return await _error_page(request, "invalid_request", error_words(request, error))
    session = await _session(request, sessions)
    if session is None:
        return _sign_in(query, drop_login=True)
    try:
        deps.check_form_csrf(request, csrf_token, session.csrf_token)
    except TgpassError as error:
        return await _error_page(request, error.code, error_words(request, error), status_of(error))
    url = found.issuer + PATHS.authorize + (f"?{urlencode(query)}" if query else "")
    sent = ProtocolRequest("GET", url, query)
    outcome = await found.authorize(sent, _end_user(session), decision=decision == "allow")
    return await _answer(request, outcome, session, query)


@pages.post(PATHS.token)
async def token(request: Request, found: Provider) -> Response:
    try:
        sent = await protocol_request(request, found.issuer)
    except InvalidInput as error:
        return oauth_error("invalid_request", error.message)
    return protocol_response(await found.token(sent))


@pages.post(PATHS.revoke)
async def revoke(request: Request, found: Provider) -> Response:
    try:
        sent = await protocol_request(request, found.issuer)
    except InvalidInput as error:
        return oauth_error("invalid_request", error.message)
    return protocol_response(await found.revoke(sent))


@pages.api_route(PATHS.userinfo, methods=["GET", "POST"])
async def userinfo(request: Request, found: Provider) -> Response:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    access_token = credentials.strip() if scheme.lower() == "bearer" else None
    if access_token is None and request.method == "POST":  # RFC 6750 §2.2
        try:
            sent = await protocol_request(request, found.issuer)
        except InvalidInput as error:
            return oauth_error("invalid_request", error.message)
        access_token = dict(sent.form).get("access_token")
    try:
        claims = await found.userinfo(access_token)
    except (InvalidToken, InsufficientScope) as error:
        return _bearer_error(error, sent=bool(access_token))
    return JSONResponse(claims, headers=JSON_NO_STORE)


@pages.api_route(PATHS.logout, methods=["GET", "POST"])
async def logout(request: Request, found: Provider, sessions: Sessions) -> Response:
    try:
        sent = await protocol_request(request, found.issuer)
    except InvalidInput as error:
        return await _error_page(request, "invalid_request", error_words(request, error))
    session = await _session(request, sessions)
    fields = dict(sent.pairs())
    confirmed = request.method == "POST" and fields.get("confirm") == "yes"
    if confirmed and session is not None:
        try:
            deps.check_form_csrf(request, fields.get("csrf_token"), session.csrf_token)
        except TgpassError as error:
            return await _error_page(
                request, error.code, error_words(request, error), status_of(error)
            )
    outcome = await found.end_session(sent, _end_user(session), confirmed=confirmed)
    if isinstance(outcome, Refused):
        return await _error_page(request, outcome.error, outcome.description, outcome.status)
    if isinstance(outcome, ConfirmLogout):
        return await _page(
            request,
            "oidc_logout.html",
            confirm=True,
            client_name=outcome.client_name,
            params=[(k, fields[k]) for k in LOGOUT_PARAMS if k in fields],
            user=session.user if session else None,
            csrf_token=session.csrf_token if session else "",
        )
    assert isinstance(outcome, SignedOut)
    if outcome.end_session:
        await sessions.end(request.cookies.get(deps.SESSION_COOKIE))
    if outcome.redirect is not None:
        done: Response = RedirectResponse(outcome.redirect, status_code=303)
    else:
        done = await _page(request, "oidc_logout.html", confirm=False)
    deps.clear_session_cookie(done)
    return done


site = APIRouter(prefix="/api/site/oidc", tags=["site"], dependencies=[Depends(site_api_key)])


@site.post("/clients", status_code=201, responses=SITE_ERRORS, response_model_exclude_none=True)
async def register_client(body: ClientIn, found: Provider) -> ClientOut:
    """Register an application that signs its users in through this site (OpenID
    Connect). The secret is in this answer only."""
    made = await found.register_client(
        body.name,
        body.redirect_uris,
        public=body.public,
        post_logout_redirect_uris=body.post_logout_redirect_uris,
        scopes=body.scopes,
        id_token_alg=body.id_token_signed_response_alg,
    )
    return ClientOut.registered(made)


@site.get("/clients", responses=SITE_ERRORS, response_model_exclude_none=True)
async def list_clients(found: Provider) -> list[ClientOut]:
    return [ClientOut.of(c) for c in await found.clients()]


router = APIRouter()
router.include_router(pages)
router.include_router(site)
