"""What operators watch, in Prometheus's terms. One ``Metrics`` per composition root, on a
registry of its own; with ``PROMETHEUS_MULTIPROC_DIR`` set, counters of every process of the
service are summed at scrape time (prometheus-client's multi-process mode)."""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from tgpass.domain.delivery import State


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.outbox_depth = Gauge(
            "tgpass_outbox_messages",
            "Outbox rows by state, read from the database at scrape time.",
            ["state"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.sends = Counter("tgpass_sends", "Bot API sends by outcome.", ["outcome"], registry=r)
        self.pauses = Counter("tgpass_flood_pauses", "429 answers from Telegram.", registry=r)
        self.pause_seconds = Counter(
            "tgpass_flood_pause_seconds", "Seconds the bot was told to wait.", registry=r
        )
        self.send_latency = Histogram(
            "tgpass_send_seconds",
            "Time of one sendMessage call.",
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.updates = Counter(
            "tgpass_updates", "Telegram updates by outcome.", ["outcome"], registry=r
        )

        self.webhook_deliveries = Counter(
            "tgpass_webhook_deliveries",
            "Event deliveries recorded, by outcome (delivered, retry, failed, gone).",
            ["outcome"],
            registry=r,
        )
        self.webhook_attempts = Counter(
            "tgpass_webhook_attempts",
            "POSTs to event endpoints, by answer (2xx, 3xx, 4xx, 5xx, none).",
            ["answer"],
            registry=r,
        )
        self.webhook_latency = Histogram(
            "tgpass_webhook_delivery_seconds",
            "From an event's commit to its endpoint's 2xx, retries included.",
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000, 86400),
        )
        self.webhook_pending = Gauge(
            "tgpass_webhook_pending",
            "Pending event deliveries per endpoint, counted by the worker every few seconds.",
            ["endpoint"],
            registry=r,
            multiprocess_mode="mostrecent",
        )

    def set_depth(self, counts: dict[State, int]) -> None:
        for state, count in counts.items():
            self.outbox_depth.labels(state).set(count)

    def exposition(self) -> bytes:
        """The text format, of every process when running multi-process."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)
