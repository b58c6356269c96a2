"""The baseline for bench/http.py: a bare FastAPI endpoint answering a fixed JSON body."""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI

app = FastAPI()
BODY: dict[str, Any] = {}


@app.post("/set")
def set_body(body: dict[str, Any] = Body()) -> dict[str, bool]:  # noqa: B008
    BODY.clear()
    BODY.update(body)
    return {"ok": True}


@app.get("/api/me")
async def me() -> dict[str, Any]:
    return BODY
