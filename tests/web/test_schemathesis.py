"""Bad input never gives a 500: schemathesis generates requests from /openapi.json against a
running service (signed in, with the site's API key, so it reaches past the auth checks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis

# Imported here, before the service's thread starts: CPython 3.11 can fail to compile a module
# while another thread compiles one ("AST constructor recursion depth mismatch").
import schemathesis.specs.openapi.schemas
from hypothesis import HealthCheck, given, settings

from tests.harness.site import site_in_thread, site_settings, sqlite_settings

API_KEY = "schemathesis-key"


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("schemathesis")
    fuzzed = site_settings(
        sqlite_settings(path, "fuzz.sqlite3"),
        bot_token="7000000002:AAF-fuzzing-token",
        bot_username="fuzz_bot",
        bot_api_url="http://127.0.0.1:9",  # nothing listens: Telegram is never needed
        api_keys=API_KEY,
        webhook_secret="",
        secret_key="fuzz",
        login_attempts=1_000_000,
    )
    with site_in_thread(fuzzed, lifespan="on") as url:
        yield url


@pytest.fixture(scope="module")
def signed_in(service_url: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{service_url}/api/auth/register",
        json={"username": "fuzzer", "password": "fuzz fuzz fuzz"},
    )
    assert answer.status_code == 201
    return {"cookies": dict(answer.cookies), "csrf": answer.json()["csrf_token"]}


def checker(operation: Any, headers: dict[str, str], cookies: dict[str, str]) -> Any:
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        response = case.call(headers=headers, cookies=cookies)
        assert response.status_code < 500, f"{case.method} {case.path}: {response.text}"
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body["error"]["code"], str)
            assert isinstance(body["error"]["message"], str)

    return check


def test_no_input_gives_a_server_error(service_url: str, signed_in: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_url(f"{service_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        if operation.path in {"/api/auth/logout", "/api/auth/logout-everywhere"}:
            continue  # they would end the session the other cases run in
        if operation.path.startswith("/api/site"):
            headers = {"Authorization": f"Bearer {API_KEY}"}
        else:
            headers = {"X-CSRF-Token": signed_in["csrf"]}
        checker(operation, headers, signed_in["cookies"])()
