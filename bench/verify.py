"""tgpass against its peers, side by side, on the same inputs, in one run.

Run: python -m bench.verify   (part of make bench, which installs the peers)

Each round times every implementation on the same payload, in turn, so that a noisy
neighbour slows all of them alike; the table shows the median per call over the rounds and
how many times faster tgpass is (peer time / tgpass time). Every implementation is first
checked to accept the payload, so that none is timed doing less work by failing early.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import init_data_py
from aiogram.utils.auth_widget import check_integrity
from aiogram.utils.web_app import check_webapp_signature, safe_parse_webapp_init_data
from telegram_webapp_auth.auth import TelegramAuthenticator, generate_secret_key

import tgpass
from bench._race import Call, race

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "vectors"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text("utf-8"))
    return data


def payloads() -> dict[str, dict[str, Any]]:
    published = load("telegram.json")
    computed = load("tgpass.json")
    return {
        "published example (ASCII)": published["init_data"][0],
        "non-ASCII, escaped JSON, signature": published["init_data"][3],
        "group launch, 10 fields": computed["init_data"][0],
    }


def hmac_contenders(case: dict[str, Any]) -> dict[str, dict[str, Call]]:
    raw, token, now = case["raw"], case["bot_token"], case["now"]
    now_dt = datetime.fromtimestamp(now, UTC)
    twa = TelegramAuthenticator(generate_secret_key(token))
    return {
        "validate and parse": {
            "tgpass.validate_init_data": lambda: tgpass.validate_init_data(raw, token, now=now),
            "aiogram safe_parse_webapp_init_data": lambda: safe_parse_webapp_init_data(token, raw),
            "telegram-webapp-auth validate": lambda: twa.validate(raw),
            "init-data-py validate_by_hash": lambda: init_data_py.validate_by_hash(
                raw, token, now=now_dt
            ),
        },
        "validate only": {
            "tgpass.check_init_data": lambda: tgpass.check_init_data(raw, token, now=now),
            "aiogram check_webapp_signature": lambda: _true(check_webapp_signature(token, raw)),
            "init-data-py is_valid_by_hash": lambda: _true(
                init_data_py.is_valid_by_hash(raw, token, now=now_dt)
            ),
        },
    }


def ed25519_contenders() -> dict[str, Call]:
    case = load("tgpass.json")["third_party"][0]
    raw, bot_id, key, now = case["raw"], case["bot_id"], case["public_key"], case["now"]
    now_dt = datetime.fromtimestamp(now, UTC)
    return {
        "tgpass.validate_init_data_signature": lambda: tgpass.validate_init_data_signature(
            raw, bot_id, public_key=key, now=now
        ),
        "init-data-py validate_by_signature": lambda: init_data_py.validate_by_signature(
            raw, bot_id, public_key=key, now=now_dt
        ),
    }


def widget_contenders() -> dict[str, Call]:
    case = load("telegram.json")["login_widget"][0]
    fields, token, now = case["fields"], case["bot_token"], case["now"]
    return {
        "tgpass.validate_login_widget": lambda: tgpass.validate_login_widget(
            fields, token, now=now
        ),
        "aiogram check_integrity": lambda: _true(check_integrity(token, dict(fields))),
    }


def _true(result: object) -> object:
    if result is not True:
        raise AssertionError("a peer refused a valid payload")
    return result


def table(title: str, results: dict[str, float]) -> list[str]:
    ours = next(iter(results.values()))
    lines = [
        f"**{title}**",
        "",
        "| implementation | µs per call | tgpass is x faster |",
        "|---|---:|---:|",
    ]
    for name, seconds in results.items():
        lines.append(f"| {name} | {seconds * 1e6:.2f} | {seconds / ours:.2f} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000, help="calls per timing")
    args = parser.parse_args()
    out = [
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{args.rounds} rounds x {args.number} calls, median per call.",
        "",
    ]
    targets: list[tuple[str, float, float]] = []
    for payload, case in payloads().items():
        for kind, contenders in hmac_contenders(case).items():
            results = race(contenders, args.rounds, args.number)
            out += table(f"{kind}: {payload}", results)
            ours, *_ = results.values()
            aiogram = next(v for k, v in results.items() if k.startswith("aiogram"))
            targets.append((f"{kind}, {payload}", aiogram / ours, 2.5 if "parse" in kind else 1.3))
    out += table("third-party Ed25519 check", race(ed25519_contenders(), args.rounds, args.number))
    out += table("Login Widget check", race(widget_contenders(), args.rounds, args.number))
    out.append("Targets against aiogram (validate and parse >= 2.5x, validate only >= 1.3x):")
    for name, ratio, target in targets:
        out.append(f"- {name}: {ratio:.2f}x ({'met' if ratio >= target else 'MISSED'})")
    print("\n".join(out))
    sys.exit(0 if all(ratio >= target for _, ratio, target in targets) else 1)


if __name__ == "__main__":
    main()
