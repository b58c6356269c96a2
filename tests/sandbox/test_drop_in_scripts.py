"""A website's own pages, unchanged but for the script URL, sign in against the sandbox:
the Login Widget (data-onauth and data-auth-url) and a Mini App (Telegram.WebApp.initData)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

import tgpass
from tests.browser import browser_page, screenshot
from tgpass.sandbox.server import LoopbackServer

from .conftest import Scene

WIDGET_PAGE = """<!doctype html><meta charset="utf-8"><title>site</title>
<p id="who">anonymous</p>
<script async src="{sandbox}/js/telegram-widget.js?22" data-telegram-login="shop_bot"
  data-size="large" {mode} data-request-access="write"></script>
<script>
function onTelegramAuth(user) {{
  fetch("/login", {{method: "POST", body: JSON.stringify(user)}})
    .then(r => r.json()).then(d => {{ document.getElementById("who").textContent = d.who; }});
}}
</script>"""

MINI_APP_PAGE = """<!doctype html><meta charset="utf-8"><title>app</title>
<script src="{sandbox}/js/telegram-web-app.js"></script>
<p id="who">…</p>
<script>
Telegram.WebApp.ready();
fetch("/miniapp", {{method: "POST", headers: {{Authorization: "tma " + Telegram.WebApp.initData}}}})
  .then(r => r.json()).then(d => {{ document.getElementById("who").textContent = d.who; }});
</script>"""


def site(scene: Scene) -> Starlette:
    token = scene.bot_info["token"]

    async def widget_page(request: Request) -> HTMLResponse:
        mode = (
            'data-onauth="onTelegramAuth(user)"'
            if request.query_params.get("mode") == "onauth"
            else 'data-auth-url="/callback"'
        )
        return HTMLResponse(WIDGET_PAGE.format(sandbox=scene.sandbox.url, mode=mode))

    async def login(request: Request) -> JSONResponse:
        fields = json.loads(await request.body())
        user = tgpass.validate_login_widget(fields, token).user
        return JSONResponse({"who": f"widget: {user.full_name} ({user.id})"})

    async def callback(request: Request) -> HTMLResponse:
        fields = dict(parse_qsl(request.url.query))
        user = tgpass.validate_login_widget(fields, token).user
        return HTMLResponse(f'<p id="who">redirect: {user.full_name} ({user.id})</p>')

    async def mini_app(request: Request) -> HTMLResponse:
        return HTMLResponse(MINI_APP_PAGE.format(sandbox=scene.sandbox.url))

    async def mini_app_login(request: Request) -> JSONResponse:
        raw = request.headers["authorization"].removeprefix("tma ")
        # the site serves every bot of the sandbox: the Verifier tells which one signed
        verifier = tgpass.Verifier(b.token for b in scene.sandbox.world.bots.values())
        data = verifier.init_data(raw).data
        assert data.user is not None
        return JSONResponse({"who": f"mini app: {data.user.full_name} ({data.user.id})"})

    return Starlette(
        routes=[
            Route("/", widget_page),
            Route("/login", login, methods=["POST"]),
            Route("/callback", callback),
            Route("/app", mini_app),
            Route("/miniapp", mini_app_login, methods=["POST"]),
        ]
    )


async def test_login_widget_with_onauth_and_with_redirect(scene: Scene) -> None:
    async with LoopbackServer(site(scene)) as web, browser_page() as page:
        for mode, expected in (("onauth", "widget: "), ("redirect", "redirect: ")):
            await page.goto(f"{web.url}/?mode={mode}")
            await page.get_by_test_id("tg-login").click()
            await page.get_by_test_id(f"tg-widget-account-{scene.user_id}").click()
            who = page.locator("#who").filter(has_text=expected)
            await who.wait_for(timeout=10_000)
            assert f"({scene.user_id})" in await who.inner_text()
            await screenshot(page, f"widget-{mode}")


async def test_mini_app_opened_from_the_phone_signs_in(scene: Scene) -> None:
    async with LoopbackServer(site(scene)) as web, browser_page() as page:
        await scene.api.post("/bots", json={"username": "app_bot", "web_app_url": f"{web.url}/app"})
        await scene.act("start", {"bot": "app_bot"})
        await page.goto(f"{scene.sandbox.url}/?user={scene.user_id}")
        await page.get_by_test_id("chat-app_bot").click()
        await page.get_by_test_id("open-app").click()
        frame = page.frame_locator("#webapp-frame")
        who = frame.locator("#who").filter(has_text="mini app:")
        await who.wait_for(timeout=10_000)
        assert f"({scene.user_id})" in await who.inner_text()
        await screenshot(page, "phone-mini-app")
