"""``/metrics`` in Prometheus's text format; the outbox depth is read when scraped."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from .deps import MetricsDep, Notifications

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(metrics: MetricsDep, notifications: Notifications) -> Response:
    metrics.set_depth(await notifications.depth())
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
