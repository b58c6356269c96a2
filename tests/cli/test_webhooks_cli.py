"""``tgpass webhooks`` as a site owner runs it against the service's database: an endpoint
added (its secret printed once), listed with its health, sent a test, its deliveries listed
and one retried, its secret rotated, disabled, enabled and deleted; mistakes are JSON errors
with exit code 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.harness.site import TOKEN
from tgpass.cli import main

HOOK = "https://hooks.example.org/in"


@pytest.fixture
def tgpass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Any:
    monkeypatch.setenv("TGPASS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("TGPASS_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("TGPASS_EVENTS_ALLOW_PRIVATE_URLS", raising=False)

    def run(*args: str) -> tuple[int, Any]:
        code = main(["webhooks", *args])
        out = capsys.readouterr().out
        return code, json.loads(out) if out else None

    return run


def test_an_endpoint_managed_from_the_command_line(tgpass: Any) -> None:
    code, made = tgpass(
        "add", "--url", HOOK, "--event", "account.linked", "--event", "account.unlinked",
        "--description", "orders",
    )  # fmt: skip
    assert code == 0
    assert made["secret"].startswith("whsec_")
    assert (made["url"], made["events"], made["description"]) == (
        HOOK,
        ["account.linked", "account.unlinked"],
        "orders",
    )
    endpoint = str(made["id"])

    code, listed = tgpass("list")
    assert code == 0
    assert [(e["id"], e["enabled"], e["pending"]) for e in listed] == [(made["id"], True, 0)]
    assert "secret" not in listed[0] and made["secret"] not in json.dumps(listed)

    code, sent = tgpass("test", endpoint)
    assert code == 0 and sent["type"] == "webhook.test"
    code, deliveries = tgpass("deliveries", endpoint, "--limit", "5")
    assert code == 0
    assert [(d["event_id"], d["status"], d["attempts"]) for d in deliveries] == [
        (sent["event_id"], "pending", 0)
    ]
    assert tgpass("list")[1][0]["pending"] == 1
    code, retried = tgpass("retry", endpoint, sent["event_id"])
    assert (code, retried) == (0, {"event_id": sent["event_id"], "status": "pending"})

    code, rotated = tgpass("rotate", endpoint)
    assert code == 0
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    assert rotated["previous_secret_until"] > made["created_at"]

    code, disabled = tgpass("disable", endpoint)
    assert (code, disabled["enabled"], disabled["disabled_reason"]) == (
        0,
        False,
        "disabled by the site",
    )
    code, enabled = tgpass("enable", endpoint)
    assert (code, enabled["enabled"], enabled["disabled_reason"]) == (0, True, None)

    assert tgpass("delete", endpoint) == (0, {"ok": True})
    assert tgpass("list") == (0, [])


def test_every_type_when_none_is_named(tgpass: Any) -> None:
    code, made = tgpass("add", "--url", HOOK)
    assert code == 0
    assert "account.signed_up" in made["events"] and "broadcast.completed" in made["events"]
    assert "webhook.test" not in made["events"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("add", "--url", "http://hooks.example.org/in"), "invalid_input"),
        (("add", "--url", "https://127.0.0.1/in"), "invalid_input"),
        (("add", "--url", HOOK, "--description", "x" * 201), "invalid_input"),
        (("test", "7"), "not_found"),
        (("rotate", "99999999999999999999999"), "not_found"),
        (("deliveries", "7"), "not_found"),
        (("retry", "7", "msg_nothing"), "not_found"),
        (("enable", "0"), "not_found"),
        (("delete", "7"), "not_found"),
    ],
)
def test_a_mistake_is_a_json_error(tgpass: Any, args: tuple[str, ...], error: str) -> None:
    code, answer = tgpass(*args)
    assert code == 1
    assert answer["error"]["code"] == error


@pytest.mark.parametrize(
    "args",
    [
        ("add", "--url", HOOK, "--event", "account.linkd"),
        ("deliveries", "1", "--limit", "0"),
        ("test", "one"),
    ],
)
def test_a_malformed_option_is_refused_before_anything_runs(
    tgpass: Any, args: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as refused:
        tgpass(*args)
    assert refused.value.code == 2
