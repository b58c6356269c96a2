"""Telegram's webhook: the secret header checked in constant time, each update handled once."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tgpass.telegram.updates import event_of, parse_update

from .deps import services_of

log = logging.getLogger("tgpass.webhook")
router = APIRouter(include_in_schema=False)
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 (a header name)


@router.post("/telegram/webhook")
async def webhook(request: Request) -> JSONResponse:
    svc = services_of(request)
    expected = svc.settings.webhook_secret
    sent = request.headers.get(SECRET_HEADER, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return JSONResponse({"error": {"code": "forbidden", "message": "bad secret"}}, 403)
    try:
        data: Any = await request.json()
    except ValueError:
        return JSONResponse({"error": {"code": "invalid_input", "message": "not JSON"}}, 400)
    update = parse_update(data)
    event = event_of(update) if update is not None else None
    if event is not None:
        await svc.bot.handle(event)
    return JSONResponse({"ok": True})
