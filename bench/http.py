"""``GET /api/me`` authenticated by ``Authorization: tma <initData>``, against a bare FastAPI
endpoint that returns the same JSON: same machine, same load generator, one worker each.

Run: python -m bench.http   (part of make bench; needs wrk: apt-get install wrk)

The two are run in turn (bare, tgpass, bare, tgpass, ...), so that each pair sees the same
machine; each round gives a ratio, and the result is the median of those ratios. Each run
also reports the server's CPU time per request, which others' load on a shared machine moves
much less than requests/s and latency.

Targets: /api/me reaches at least 75% of the bare endpoint's requests/s (the median ratio),
with a median p99 under 20 ms at 64 connections and no error answers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench._wrk import wrk
from tgpass.sandbox.server import free_port
from tgpass.verify import sign_init_data

TOKEN = "7000000003:AAF-benchmark-token-for-http"


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_up(url: str, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, headers=headers).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not start")
        time.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) the process has used; NaN where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    pid: int, url: str, headers: dict[str, str], args: argparse.Namespace
) -> dict[str, float]:
    """One wrk run, with the server's CPU time per request: unlike requests/s, that stays
    put when other processes take the machine's cores."""
    before = cpu_seconds(pid)
    run = wrk(
        url,
        None,
        args.seconds,
        args.connections,
        method="GET",
        headers=headers,
        threads=args.threads,
    )
    used = cpu_seconds(pid) - before
    run["cpu_us"] = used / run["requests"] * 1e6 if run["requests"] else float("nan")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="per run")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each, interleaved")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads (1: one core for wrk, one for the server)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tgpass-bench-"))
    service_port, bare_port = free_port(), free_port()
    init_data = sign_init_data(
        {"user": {"id": 5_000_000_777, "first_name": "Bench", "username": "bench_user"}},
        TOKEN,
        auth_date=int(time.time()),
    )
    header = {"Authorization": f"tma {init_data}"}
    env = {
        **os.environ,
        "TGPASS_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'bench.sqlite3'}",
        "TGPASS_BOT_TOKEN": TOKEN,
        "TGPASS_BOT_USERNAME": "bench_bot",
        "TGPASS_BOT_API_URL": "http://127.0.0.1:9",
        "TGPASS_SECRET_KEY": "bench",
    }
    service = start(
        [
            sys.executable,
            "-m",
            "tgpass.cli",
            "serve",
            "--port",
            str(service_port),
            "--no-access-log",
        ],
        env,
    )
    bare = start(
        [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port),
         "--log-level", "warning", "--no-access-log"],
        env,
    )  # fmt: skip
    try:
        wait_up(f"http://127.0.0.1:{service_port}/api/me", header)
        me = httpx.get(f"http://127.0.0.1:{service_port}/api/me", headers=header).json()
        (work / "me.json").write_text(json.dumps(me))
        httpx.post(f"http://127.0.0.1:{bare_port}/set", json=me)
        wait_up(f"http://127.0.0.1:{bare_port}/api/me")
        answer = httpx.get(f"http://127.0.0.1:{bare_port}/api/me").json()
        assert answer == me, "the bare endpoint must answer the same JSON"
        bare_url = f"http://127.0.0.1:{bare_port}/api/me"
        ours_url = f"http://127.0.0.1:{service_port}/api/me"
        bare_runs: list[dict[str, float]] = []
        our_runs: list[dict[str, float]] = []
        for _ in range(args.rounds):  # interleaved, so both see the same machine weather
            bare_runs.append(measure(bare.pid, bare_url, {}, args))
            our_runs.append(measure(service.pid, ours_url, header, args))
    finally:
        for process in (service, bare):
            process.terminate()
            process.wait(timeout=10)
    report(args, bare_runs, our_runs)


def report(
    args: argparse.Namespace, bare: list[dict[str, float]], ours: list[dict[str, float]]
) -> None:
    ratios = [o["rps"] / b["rps"] if b["rps"] else 0.0 for b, o in zip(bare, ours, strict=True)]
    print(
        f"{args.connections} connections, {args.rounds} interleaved rounds of {args.seconds} s "
        f"each (bare, tgpass, ...), one worker process each, wrk -t{args.threads}"
    )
    costs = [b["cpu_us"] / o["cpu_us"] for b, o in zip(bare, ours, strict=True)]
    print(
        "| round | bare req/s | tgpass req/s | ratio | bare p99 ms | tgpass p99 ms "
        "| bare CPU µs/req | tgpass CPU µs/req |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, (b, o, ratio) in enumerate(zip(bare, ours, ratios, strict=True), 1):
        print(
            f"| {n} | {b['rps']:.0f} | {o['rps']:.0f} | {ratio:.0%} "
            f"| {b['p99_ms']:.1f} | {o['p99_ms']:.1f} | {b['cpu_us']:.0f} | {o['cpu_us']:.0f} |"
        )
    ratio = statistics.median(ratios)
    bare_p99 = statistics.median(run["p99_ms"] for run in bare)
    our_p99 = statistics.median(run["p99_ms"] for run in ours)
    errors = sum(run["non_2xx"] for run in ours)
    print(
        f"median: tgpass/bare requests/s {ratio:.0%}, p99 tgpass {our_p99:.1f} ms "
        f"(bare {bare_p99:.1f} ms, tgpass/bare {our_p99 / bare_p99:.2f}), non-2xx {errors:.0f}"
    )
    print(
        f"median: server CPU per request, bare/tgpass {statistics.median(costs):.0%} "
        "(the requests/s ratio of a server with a core of its own; others' load moves it little)"
    )
    met = ratio >= 0.75 and our_p99 < 20 and errors == 0
    print(f"target: >= 75% of bare and p99 < 20 ms: {'met' if met else 'MISSED'}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
