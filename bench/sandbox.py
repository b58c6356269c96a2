"""The sandbox's Bot API under load: sendMessage calls per second on loopback, limits off.

Run: make bench-sandbox   (needs wrk: apt-get install wrk)

The sandbox runs as `tgpass sandbox` (one uvicorn process); wrk posts sendMessage to one
started private chat from 64 connections. getMe on the same server is measured alongside
as the ceiling of the HTTP stack itself, so the ratio shows what the emulation costs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import httpx

from tgpass.sandbox.server import free_port

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{body}'
"""


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/sandbox/api/info").raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wrk(
    url: str, body: dict[str, object] | None, seconds: int, connections: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(body=json.dumps(body or {})))
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rate,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/sandbox.py needs wrk: apt-get install wrk")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tgpass.cli", "sandbox", "--no-limits", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until_up(base)
        api = f"{base}/sandbox/api"
        bot = httpx.post(f"{api}/bots", json={"username": "load_bot"}).json()
        user = httpx.post(f"{api}/users", json={"first_name": "Load"}).json()
        httpx.post(f"{api}/users/{user['id']}/start", json={"bot": "load_bot"}).raise_for_status()
        bot_url = f"{base}/bot{bot['token']}"
        ceiling = wrk(f"{bot_url}/getMe", None, args.seconds, args.connections)
        send = wrk(
            f"{bot_url}/sendMessage",
            {"chat_id": user["id"], "text": "Hello from the load test"},
            args.seconds,
            args.connections,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{args.connections} connections, {args.seconds} s each, one server process (wrk -t2)")
    print("| call | requests/s | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|")
    for name, result in (("getMe (HTTP ceiling)", ceiling), ("sendMessage", send)):
        print(
            f"| {name} | {result['rps']:.0f} | {result['p99_ms']:.1f} | {result['non_2xx']:.0f} |"
        )
    print(f"sendMessage / getMe: {send['rps'] / ceiling['rps']:.2f}")
    target = 2000
    verdict = "met" if send["rps"] >= target and send["non_2xx"] == 0 else "MISSED"
    print(f"target: sendMessage >= {target}/s with no errors: {verdict}")
    sys.exit(0 if verdict == "met" else 1)


if __name__ == "__main__":
    main()
