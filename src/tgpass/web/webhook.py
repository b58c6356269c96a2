"""Telegram's webhook: the secret header checked in constant time, each update handled once.

Telegram retries an update it got no 2xx for, and holds back every later update meanwhile.
So every update read is answered 200, whatever happens inside: a failure becomes a dead
letter for the operator. Only when even that cannot be written (the database is away) is
the answer 503, so that Telegram keeps the update until the service is back.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tgpass.telegram.updates import hand_over, update_id_of

from .deps import Bot, Config

log = logging.getLogger("tgpass.webhook")
router = APIRouter(include_in_schema=False)
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 (a header name)
OK = {"ok": True}


def _refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


@router.post("/telegram/webhook")
async def webhook(request: Request, bot: Bot, settings: Config) -> JSONResponse:
    expected = settings.webhook_secret
    sent = request.headers.get(SECRET_HEADER, "")
    # No secret configured: refuse everything (anyone could post updates otherwise).
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _refused(403, "forbidden", "bad secret")
    body = await request.body()
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        return _refused(400, "invalid_input", "not JSON")
    update_id = update_id_of(data)
    if update_id is None:
        return _refused(400, "invalid_input", "not a Telegram update")
    try:
        await hand_over(bot, update_id, data, body.decode("utf-8", "replace"))
    except Exception:
        log.exception("could not record update %s", update_id)
        return _refused(503, "unavailable", "try again later")
    return JSONResponse(OK)
