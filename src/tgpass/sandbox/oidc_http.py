"""``oauth.telegram.org`` over HTTP, under ``<sandbox>/oauth`` (the issuer): discovery, JWKS,
the authorization endpoint (which hands the request to the phone) and the token endpoint."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .oidc import AuthorizeError, LoginPageError, Params, TokenError
from .state import SandboxState

PREFIX = "/oauth"
TOKEN_PATH = f"{PREFIX}/token"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def issuer_for(state: SandboxState, request: Request) -> str:
    """The issuer: the one the sandbox was told, or its own address as this request saw it."""
    return state.oidc_issuer or str(request.base_url).rstrip("/") + PREFIX


def _multi(items: list[tuple[str, object]]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in items:
        params.setdefault(name, []).append(value if isinstance(value, str) else "")
    return params


def _error_page(description: str) -> HTMLResponse:
    text = html.escape(description)
    page = (
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Telegram Login: error</title>"
        "<body style='font:15px system-ui,sans-serif;max-width:32rem;margin:3rem auto;"
        "padding:0 1rem'><h1 style='font-size:1.2rem'>Telegram Login</h1>"
        f"<p data-testid='oidc-error'>{text}</p></body></html>"
    )
    return HTMLResponse(page, status_code=400)


def router(state: SandboxState) -> APIRouter:
    oauth = APIRouter(prefix=PREFIX, include_in_schema=False)
    provider = state.oidc

    @oauth.get("/.well-known/openid-configuration")
    async def discovery(request: Request) -> JSONResponse:
        return JSONResponse(provider.discovery(issuer_for(state, request)))

    @oauth.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        return JSONResponse(provider.keys.jwks())

    @oauth.api_route("/auth", methods=["GET", "POST"])
    async def authorize(request: Request) -> Response:
        """Check the request, then open the phone on it: the user answers there."""
        if request.method == "POST":
            params: Params = _multi(list((await request.form()).multi_items()))
        else:
            params = _multi(list(request.query_params.multi_items()))
        try:
            login = provider.begin(params)
        except LoginPageError as refused:
            return _error_page(str(refused))
        except AuthorizeError as refused:
            return RedirectResponse(refused.location, status_code=302)
        phone = request.url_for("phone").include_query_params(oidc=login.id)
        return RedirectResponse(str(phone), status_code=302)

    @oauth.post(TOKEN_PATH.removeprefix(PREFIX))
    async def token(request: Request) -> JSONResponse:
        try:
            if not request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                raise TokenError("invalid_request", "send the form as x-www-form-urlencoded")
            form = _multi(list((await request.form()).multi_items()))
            answer = provider.token(
                form, request.headers.get("authorization"), issuer_for(state, request)
            )
        except TokenError as error:
            headers = dict(_NO_STORE)
            if error.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="Telegram Login"'
            return JSONResponse(error.body(), status_code=error.status, headers=headers)
        return JSONResponse(answer, headers=_NO_STORE)

    return oauth
