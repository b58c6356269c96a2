"""Every emulated Bot API method is called by name from some test of python-telegram-bot."""

from __future__ import annotations

import re
from pathlib import Path

from tgpass.sandbox.botapi import METHODS

TESTS = Path(__file__).parent


def test_each_method_is_driven_by_a_client_test() -> None:
    source = "\n".join(p.read_text("utf-8") for p in TESTS.glob("test_*.py"))
    calls = {m.lower() for m in re.findall(r"\.([a-z_]+)\(", source)}
    missing = [
        name for name in METHODS if name.replace("_", "") not in {c.replace("_", "") for c in calls}
    ]
    assert not missing, f"no client test calls {missing}"
