"""``GET /api/me`` authenticated by ``Authorization: tma <initData>``, against a bare FastAPI
endpoint that returns the same JSON: same machine, same load generator, one worker each.

Run: python -m bench.http   (part of make bench; needs wrk: apt-get install wrk)

Targets: /api/me reaches at least 60% of the bare endpoint's requests/s, with p99 under
25 ms at 64 connections.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, interleaved")
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
        env_bare = f"http://127.0.0.1:{bare_port}/api/me"
        httpx.post(f"http://127.0.0.1:{bare_port}/set", json=me)
        wait_up(env_bare)
        assert httpx.get(env_bare).json() == me, "the bare endpoint must answer the same JSON"
        targets = (
            ("bare FastAPI, same JSON", env_bare, {}),
            ("tgpass GET /api/me (tma)", f"http://127.0.0.1:{service_port}/api/me", header),
        )
        runs: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in targets}
        for _ in range(args.rounds):  # interleaved, so both see the same machine weather
            for name, url, headers in targets:
                runs[name].append(
                    wrk(
                        url,
                        None,
                        args.seconds,
                        args.connections,
                        method="GET",
                        headers=headers,
                        threads=args.threads,
                    )
                )
        results = {
            name: {
                key: statistics.median(run[key] for run in measured)
                for key in ("rps", "p99_ms", "non_2xx")
            }
            for name, measured in runs.items()
        }
    finally:
        for process in (service, bare):
            process.terminate()
            process.wait(timeout=10)
    bare_rps = results["bare FastAPI, same JSON"]["rps"]
    print(
        f"{args.connections} connections, {args.rounds} interleaved runs of {args.seconds} s "
        f"each (medians), one worker process each, wrk -t{args.threads}"
    )
    print("| endpoint | requests/s | of bare | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        share = r["rps"] / bare_rps
        print(f"| {name} | {r['rps']:.0f} | {share:.0%} | {r['p99_ms']:.1f} | {r['non_2xx']:.0f} |")
    ours = results["tgpass GET /api/me (tma)"]
    met = ours["rps"] >= 0.6 * bare_rps and ours["p99_ms"] < 25 and ours["non_2xx"] == 0
    print(f"target: >= 60% of bare and p99 < 25 ms: {'met' if met else 'MISSED'}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
