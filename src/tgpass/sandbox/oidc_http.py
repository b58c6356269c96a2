"""``oauth.telegram.org`` over HTTP, under ``<sandbox>/oauth`` (the issuer): discovery, JWKS,
the authorization endpoint (which hands the request to the phone), the token endpoint, and
for Telegram's JS library its script (``<issuer>/js/telegram-login.js``, as
``https://oauth.telegram.org/js/telegram-login.js``) and the page a popup login ends on."""

from __future__ import annotations

import html
import json
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .errors import NotFound
from .oidc import RESULT_PATH, AuthorizeError, LoginPageError, Params, TokenError
from .state import SandboxState

PREFIX = "/oauth"
TOKEN_PATH = f"{PREFIX}/token"
SCRIPT_PATH = f"{PREFIX}/js/telegram-login.js"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_RESULT_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Telegram Login</title>
<body style="font:15px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.2rem">Telegram Login</h1>
<p data-testid="oidc-popup-result">{text}</p>
<script type="application/json" id="auth-result">{data}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById("auth-result").textContent);
  // only the page that asked, on its own origin, hears the answer
  if (window.opener) {{
    window.opener.postMessage(JSON.stringify(data.message), data.origin);
    window.close();
  }}
}})();
</script></body></html>
"""


def _script_json(value: object) -> str:
    """JSON that cannot end the ``<script>`` element it sits in."""
    text = json.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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

    @oauth.get(RESULT_PATH.removeprefix(PREFIX))
    async def popup_result(request: Request, answer: str = "") -> HTMLResponse:
        """Where a popup login ends: the answer, handed to the page that opened the popup."""
        try:
            origin, message = provider.popup_result(answer, issuer_for(state, request))
        except NotFound as gone:
            return _error_page(str(gone))
        words = (
            "Logged in: this window closes by itself."
            if "result" in message
            else f"Not logged in ({message['error']}): this window closes by itself."
        )
        data = _script_json({"origin": origin, "message": message})
        page = _RESULT_PAGE.format(text=html.escape(words), data=data)
        return HTMLResponse(page, headers=_NO_STORE)

    @oauth.get(SCRIPT_PATH.removeprefix(PREFIX))
    async def login_js() -> Response:
        script = (files("tgpass.sandbox") / "static" / "telegram-login.js").read_text("utf-8")
        return Response(script, media_type="text/javascript")

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
