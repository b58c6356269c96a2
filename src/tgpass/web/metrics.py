"""``/metrics`` in Prometheus's text format; the outbox depth is read when scraped."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from .deps import services_of

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    svc = services_of(request)
    svc.metrics.set_depth(await svc.notifications.depth())
    return Response(svc.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
