"""The sandbox's Bot API under load: sendMessage calls per second on loopback, limits off.

Run: python -m bench.sandbox   (part of make bench; needs wrk: apt-get install wrk)

The sandbox runs as `tgpass sandbox` (one uvicorn process); wrk posts sendMessage to one
started private chat from 64 connections. getMe on the same server is measured alongside
as the ceiling of the HTTP stack itself, so the ratio shows what the emulation costs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

import httpx

from bench._wrk import wrk
from tgpass.sandbox.server import free_port


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
