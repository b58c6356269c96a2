"""``tgpass sandbox``: serve the sandbox Telegram until stopped, optionally keeping its state."""

from __future__ import annotations

import asyncio
from pathlib import Path

import uvicorn

from .app import create_app
from .persist import load_file, save_file
from .state import SandboxState
from .world import World


def seed(world: World) -> None:
    """A small world to start from: a bot and two users with unicode names, ids above 2**32."""
    world.add_bot("tgpass_demo_bot", first_name="tgpass demo")
    world.add_account("Zoya", last_name="Ivanova", username="zoya", phone_number="+15550001")
    world.add_account("Ян 🚀", username="yan", language_code="ru", phone_number="+15550002")


def serve(*, host: str, port: int, state_file: Path | None, limits: bool) -> None:
    world = load_file(state_file) if state_file and state_file.exists() else World()
    if not world.bots and not world.accounts:
        seed(world)
    world.flood.limits.enabled = limits
    state = SandboxState(world)
    app = create_app(state)
    base = f"http://{host}:{port}"
    print(f"tgpass sandbox Telegram on {base}")
    print(f"  phone:   {base}/")
    print(f"  Bot API: {base}/bot<token>/<method>   (python-telegram-bot: base_url={base}/bot)")
    print(f"  control: {base}/sandbox/api   (OpenAPI: {base}/docs)")
    for bot in world.bots.values():
        print(f"  bot @{bot.username} token {bot.token}")
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    try:
        asyncio.run(_serve(server, state))
    finally:
        if state_file is not None:
            save_file(world, state_file)
            print(f"state saved to {state_file}")


async def _serve(server: uvicorn.Server, state: SandboxState) -> None:
    try:
        await server.serve()
    finally:
        await state.close()
