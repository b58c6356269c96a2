"""Shared fixtures: the test vectors; the marks the harness reads."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
# shared/ sits beside the repository on developer and CI machines; a copy lives in tests/vectors.
SHARED_VECTORS = HERE.parent.parent / "shared" / "vectors"
VECTOR_FILES = ("telegram.json", "tgpass.json")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "memory: the stack keeps its data in memory (a test of a use case, not of the database)",
    )


def load_vectors() -> dict[str, list[dict[str, Any]]]:
    """Every vector of every file, by kind: published ones and our computed ones."""
    merged: dict[str, list[dict[str, Any]]] = {
        "init_data": [],
        "third_party": [],
        "login_widget": [],
    }
    for name in VECTOR_FILES:
        data = json.loads((HERE / "vectors" / name).read_text(encoding="utf-8"))
        for kind, cases in merged.items():
            cases.extend(data.get(kind, []))
    return merged


@pytest.fixture(scope="session")
def vectors() -> dict[str, list[dict[str, Any]]]:
    return load_vectors()


def require_or_skip(reason: str) -> None:
    """Skip a test whose real service is missing; in CI (TGPASS_REQUIRE_SERVICES=1), fail."""
    if os.environ.get("TGPASS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


ARTIFACTS = HERE.parent / "test-artifacts"


POSTGRES_URL = os.environ.get(
    "TGPASS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TGPASS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def redis_or_skip() -> str:
    """The test Redis URL, once it answers PING."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as error:
        require_or_skip(f"Redis at {REDIS_URL} is not reachable: {error}")
    finally:
        await client.aclose()
    return REDIS_URL


async def postgres_or_skip() -> str:
    """The test PostgreSQL URL, once it answers."""
    import asyncpg

    plain = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        connection = await asyncpg.connect(plain, timeout=3)
    except Exception as error:
        require_or_skip(f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}")
    else:
        await connection.close()
    return POSTGRES_URL
