"""Event webhooks: one worker delivering to a local receiver, on SQLite and on PostgreSQL.

Run: python -m bench.events   (part of make bench; --events N, --backends sqlite,postgres)

The receiver runs as its own process (a bare HTTP/1.1 endpoint answering 204, writing down
each ``webhook-id`` and when it came); this process announces the events and is the one
worker. For each backend:

- throughput: N events committed first, then delivered: the rate from the first receipt to
  the last (target: >= 500/s);
- latency: a tenth as many announced at 100/s (one transaction each) while the worker runs,
  from each one's commit to its receipt, p50 and p99 (target: p99 < 1 s while not
  saturated);
- the throughput run again with a second, dead endpoint (it takes connections and never
  answers) subscribed to every event: the healthy one's rate as a ratio of the first run's
  (target: >= 0.9).

Every event is then looked for at the receiver: lost must be 0 (a repeat, which Standard
Webhooks allows across a crash, is counted too and should be 0 here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tgpass.bootstrap import Services, build
from tgpass.sandbox.server import free_port
from tgpass.service.webhooks import user_subject
from tgpass.settings import Settings

POSTGRES_URL = os.environ.get(
    "TGPASS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

# -- the receiver (its own process) -----------------------------------------------------------


class _Endpoint(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough for POSTs with a Content-Length; a dead one
    reads and never answers."""

    def __init__(self, receipts: list[tuple[str, float]] | None) -> None:
        self.receipts = receipts
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.receipts is None:
            return  # dead: never a word back
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length, message_id = 0, ""
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"webhook-id":
                    message_id = value.strip().decode()
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.receipts.append((message_id, time.time()))
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")


async def receive(port: int, dead_port: int, out: Path) -> None:
    """Serve until SIGTERM, then write the receipts to ``out`` (JSON)."""
    receipts: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    healthy = await loop.create_server(lambda: _Endpoint(receipts), "127.0.0.1", port)
    dead = await loop.create_server(lambda: _Endpoint(None), "127.0.0.1", dead_port)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    healthy.close()
    dead.close()
    out.write_text(json.dumps(receipts))


@contextlib.contextmanager
def receiver_process(workdir: Path) -> Any:
    port, dead_port = free_port(), free_port()
    out = workdir / f"receipts-{secrets.token_hex(4)}.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.events", "--receiver", str(port), str(dead_port), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    receipts: dict[str, Any] = {}
    try:
        yield port, dead_port, receipts
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        receipts["list"] = json.loads(out.read_text()) if out.exists() else []


# -- the worker (this process) ----------------------------------------------------------------


@contextlib.asynccontextmanager
async def storage(backend: str, workdir: Path) -> AsyncIterator[dict[str, str]]:
    if backend == "sqlite":
        name = workdir / f"events-{secrets.token_hex(4)}.sqlite3"
        yield {"database_url": f"sqlite+aiosqlite:///{name}", "kv_url": "memory://"}
        return
    from tgpass.store.sql import make_engine

    schema = f"bench_events_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL)
    async with admin.begin() as db:
        await db.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield {"database_url": POSTGRES_URL, "database_schema": schema, "kv_url": "memory://"}
    finally:
        async with admin.begin() as db:
            await db.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


async def announce(services: Services, count: int, *, batch: int = 100) -> dict[str, float]:
    """``count`` events about as many users, ``batch`` to a transaction; each one's commit
    time by id."""
    committed: dict[str, float] = {}
    for start in range(0, count, batch):
        ids = []
        async with services.uow() as tx:
            for n in range(start, min(count, start + batch)):
                event = await services.announcer.announce(
                    tx, "account.standing_changed", {"n": n}, subject=user_subject(n)
                )
                ids.append(event.id)
        now = time.time()
        committed.update((i, now) for i in ids)
    return committed


async def drained(services: Services, endpoint_id: int) -> None:
    """Until the endpoint has nothing pending: one probe of its index, not a count of every
    endpoint's pending deliveries (the dead one's ten thousand) twenty times a second."""
    while True:
        async with services.uow() as tx:
            if endpoint_id not in await tx.webhooks.due_endpoints(now=time.time() + 1e9):
                return
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def worker(services: Services) -> AsyncIterator[None]:
    task = asyncio.create_task(services.deliverer.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def rate_of(times: list[float]) -> float:
    if len(times) < 2:
        return 0.0
    elapsed = max(times) - min(times)
    return (len(times) - 1) / elapsed if elapsed > 0 else float("inf")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def run(backend: str, events: int, workdir: Path, *, dead: bool) -> dict[str, float]:
    async with storage(backend, workdir) as values:
        settings = Settings.from_mapping(
            {**values, "bot_token": "1:bench", "events_allow_private_urls": True}
        )
        services = await build(settings)
        try:
            with receiver_process(workdir) as (port, dead_port, receipts):
                healthy = await services.webhooks.add(f"http://127.0.0.1:{port}/hook")
                if dead:
                    await services.webhooks.add(f"http://127.0.0.1:{dead_port}/hook")
                # throughput: everything committed first
                committed = await announce(services, events)
                async with worker(services):
                    await drained(services, healthy.id)
                    # latency: 10 every 0.1 s, one transaction each, while it runs
                    latency_committed: dict[str, float] = {}
                    next_round = time.monotonic()
                    for _ in range(max(1, events // 10 // 10)):
                        latency_committed.update(await announce(services, 10, batch=1))
                        next_round += 0.1
                        await asyncio.sleep(max(0.0, next_round - time.monotonic()))
                    await drained(services, healthy.id)
        finally:
            await services.close()
    got: dict[str, list[float]] = {}
    for message_id, at in receipts["list"]:
        got.setdefault(message_id, []).append(at)
    bulk = [min(got[i]) for i in committed if i in got]
    latencies = [min(got[i]) - at for i, at in latency_committed.items() if i in got]
    every = {**committed, **latency_committed}
    return {
        "events": len(every),
        "rate": rate_of(bulk),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "lost": sum(i not in got for i in every),
        "repeated": sum(len(got[i]) - 1 for i in every if i in got),
    }


async def main_async(events: int, backends: list[str]) -> None:
    results: dict[tuple[str, bool], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            for dead in (False, True):
                results[backend, dead] = await run(backend, events, Path(workdir), dead=dead)
    print(f"events: {events} events to one local receiver, one worker")
    print(
        f"{'backend':<10}{'dead endpoint':<15}{'events':>7}{'rate/s':>9}{'ratio':>7}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'lost':>6}{'rep':>5}"
    )
    met = True
    for (backend, dead), r in results.items():
        ratio = (
            r["rate"] / results[backend, False]["rate"] if results[backend, False]["rate"] else 0
        )
        print(
            f"{backend:<10}{'yes' if dead else 'no':<15}{r['events']:>7.0f}{r['rate']:>9.1f}"
            f"{ratio:>7.2f}{r['p50'] * 1000:>8.1f}{r['p99'] * 1000:>8.1f}"
            f"{r['lost']:>6.0f}{r['repeated']:>5.0f}"
        )
        met &= r["lost"] == 0 and (ratio >= 0.9 if dead else r["rate"] >= 500 and r["p99"] < 1)
    print(
        "targets: >= 500/s, p99 < 1 s, 0 lost, healthy rate with a dead endpoint >= 0.9 of "
        f"without: {'met' if met else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--receiver", nargs=3, metavar=("PORT", "DEAD_PORT", "OUT"))
    args = parser.parse_args()
    if args.receiver:
        port, dead_port, out = args.receiver
        asyncio.run(receive(int(port), int(dead_port), Path(out)))
        return
    asyncio.run(main_async(args.events, args.backends.split(",")))


if __name__ == "__main__":
    main()
