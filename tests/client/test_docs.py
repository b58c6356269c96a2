"""The client's documentation names only what the client has: every ``tgpass.<method>(``
of its examples and every method of its table is a method of both clients, and every
method of the clients is in the table."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from tgpass.client import AsyncClient, Client

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## The site API from Python"


def documentation() -> str:
    """The README's section on the client."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert HEADING in readme
    return HEADING + readme.split(HEADING, 1)[1].split("\n## ", 1)[0]


def public_methods(kind: type) -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(kind, inspect.isfunction)
        if not name.startswith("_") and name not in ("close", "aclose")
    }


def test_the_examples_call_methods_both_clients_have() -> None:
    called = set(re.findall(r"\btgpass\.(\w+)\(", documentation()))
    assert len(called) > 10
    assert called - public_methods(Client) == set()
    assert called - public_methods(AsyncClient) == set()


def test_the_table_names_every_method_and_only_those() -> None:
    rows = [line for line in documentation().splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])}
    assert listed == public_methods(Client) == public_methods(AsyncClient)
