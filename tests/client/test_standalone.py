"""The client is for a site's own code, beside any framework: importing it loads httpx and
nothing of tgpass but its public front, the verify core and the error tree (no service, no
database driver, no web framework)."""

from __future__ import annotations

import subprocess
import sys

CODE = """import sys
import httpx, tgpass
before = set(sys.modules)
import tgpass.client
print(' '.join(set(sys.modules) - before))
"""


def test_the_client_loads_httpx_and_no_part_of_the_service() -> None:
    added = set(subprocess.check_output([sys.executable, "-c", CODE], text=True).split())
    assert added, "importing the client loaded nothing new"
    assert all(name.startswith("tgpass.client") for name in added if name.startswith("tgpass"))
    heavy = {"fastapi", "starlette", "sqlalchemy", "telegram", "redis", "pydantic", "uvicorn"}
    assert not {name.split(".")[0] for name in added} & heavy
