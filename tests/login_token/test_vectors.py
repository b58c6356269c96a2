"""Every computed ID token vector, checked exactly as stated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tgpass.errors import InvalidAuthData
from tgpass.login_token import DEFAULT_LEEWAY, LoginKeySet, validate_login_token

from .conftest import VECTORS

CASES = VECTORS["tokens"]


def _actual(token: Any, dotted: str) -> Any:
    if dotted.startswith("claims."):
        return token.claims[dotted.removeprefix("claims.")]
    value = getattr(token, dotted)
    return int(value.timestamp()) if isinstance(value, datetime) else value


def test_the_vectors_assume_the_default_leeway() -> None:
    assert VECTORS["leeway"] == DEFAULT_LEEWAY


def test_every_outcome_is_covered() -> None:
    codes = {case["error_code"] for case in CASES if not case["valid"]}
    assert codes == {
        "malformed",
        "missing_field",
        "bad_signature",
        "expired",
        "auth_date_in_future",
        "wrong_issuer",
        "wrong_audience",
        "wrong_nonce",
        "unknown_key",
        "unsupported_algorithm",
    }
    assert codes <= InvalidAuthData.CODES
    algorithms = {case["expect"]["algorithm"] for case in CASES if case["valid"]}
    assert algorithms == {"RS256", "ES256", "EdDSA", "ES256K"}


@pytest.mark.parametrize("as_key_set", [False, True], ids=["jwks mapping", "LoginKeySet"])
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector(case: dict[str, Any], as_key_set: bool) -> None:
    jwks = VECTORS["jwks"][case["jwks"]]

    def check() -> Any:
        return validate_login_token(
            case["id_token"],
            case["client_id"],
            LoginKeySet(jwks) if as_key_set else jwks,
            nonce=case["nonce"],
            now=case["now"],
        )

    if case["valid"]:
        token = check()
        for dotted, expected in case["expect"].items():
            assert _actual(token, dotted) == expected, dotted
    else:
        with pytest.raises(InvalidAuthData) as caught:
            check()
        assert caught.value.code == case["error_code"], caught.value.message
