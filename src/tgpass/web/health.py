"""Probes for the process manager: ``/healthz`` (the process answers; no I/O) and ``/readyz``
(the database and the KV store answer within ``settings.store_timeout``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .deps import Config, DatabaseAnswers, Kv
from .errors import RETRY_UNAVAILABLE, error_body, unavailable_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """Alive: the process answers. Touches nothing else."""
    return JSONResponse({"status": "ok"})


async def _probe(check: Awaitable[object], timeout: float) -> str:
    try:
        async with asyncio.timeout(timeout):
            await check
    except Exception as error:
        if isinstance(error, TimeoutError) or unavailable_of(error) is not None:
            return "unavailable"
        return "failing"
    return "ok"


@router.get(
    "/readyz",
    responses={503: {"description": "The database or the KV store does not answer"}},
)
async def readyz(settings: Config, database_answers: DatabaseAnswers, kv: Kv) -> JSONResponse:
    """Ready: the database and the KV store each answer within ``store_timeout``."""
    timeout = settings.store_timeout
    database, kv_state = await asyncio.gather(
        _probe(database_answers(), timeout), _probe(kv.get("readyz"), timeout)
    )
    checks = {"database": database, "kv": kv_state}
    if database == kv_state == "ok":
        return JSONResponse({"status": "ready", "checks": checks})
    failing = " and ".join(name for name, state in checks.items() if state != "ok")
    return JSONResponse(
        error_body("unavailable", f"not ready: the {failing} did not answer", checks=checks),
        503,
        headers={"Retry-After": str(RETRY_UNAVAILABLE)},
    )
