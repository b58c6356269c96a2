"""Every published and computed vector, checked exactly as stated."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import pytest

import tgpass
from tests.conftest import SHARED_VECTORS, load_vectors

VECTORS = load_vectors()


def _lookup(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def _check_expectations(result: Any, expect: dict[str, Any]) -> None:
    for dotted, expected in expect.items():
        actual = _lookup(result, dotted)
        if dotted.endswith("auth_date"):
            actual = int(actual.timestamp())
        assert actual == expected, dotted


def _holds(case: dict[str, Any], check: Callable[[], Any]) -> None:
    """A valid case meets its expectations; an invalid one fails with its error code."""
    if case["valid"]:
        _check_expectations(check(), case["expect"])
    else:
        with pytest.raises(tgpass.InvalidAuthData) as caught:
            check()
        assert caught.value.code == case["error_code"]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


@pytest.mark.parametrize("case", VECTORS["init_data"], ids=_ids(VECTORS["init_data"]))
def test_init_data_vector(case: dict[str, Any]) -> None:
    def check() -> tgpass.InitData:
        return tgpass.validate_init_data(
            case["raw"], case["bot_token"], max_age=case.get("max_age", 86400), now=case["now"]
        )

    _holds(case, check)


@pytest.mark.parametrize("case", VECTORS["third_party"], ids=_ids(VECTORS["third_party"]))
def test_third_party_vector(case: dict[str, Any]) -> None:
    def check() -> tgpass.InitData:
        return tgpass.validate_init_data_signature(
            case["raw"], case["bot_id"], public_key=case["public_key"], now=case["now"]
        )

    _holds(case, check)


@pytest.mark.parametrize("case", VECTORS["login_widget"], ids=_ids(VECTORS["login_widget"]))
@pytest.mark.parametrize("form", ["mapping", "query_string", "json"])
def test_login_widget_vector(case: dict[str, Any], form: str) -> None:
    fields: dict[str, str] = case["fields"]
    data: Any = {
        "mapping": fields,
        "query_string": urlencode(fields),
        "json": json.dumps(fields),
    }[form]

    def check() -> tgpass.TelegramLogin:
        return tgpass.validate_login_widget(data, case["bot_token"], now=case["now"])

    _holds(case, check)


def test_every_kind_of_vector_is_present() -> None:
    for kind in ("init_data", "third_party", "login_widget"):
        assert any(case["valid"] for case in VECTORS[kind]), kind
        assert any(not case["valid"] for case in VECTORS[kind]), kind


@pytest.mark.skipif(not SHARED_VECTORS.is_dir(), reason="no shared/vectors beside the repository")
def test_the_copy_in_tests_matches_shared_vectors() -> None:
    from tests.conftest import HERE

    for shared in SHARED_VECTORS.glob("*.json"):
        copy = HERE / "vectors" / shared.name
        assert copy.is_file(), f"copy {shared.name} into tests/vectors"
        assert json.loads(copy.read_text("utf-8")) == json.loads(shared.read_text("utf-8"))
