"""Properties: nothing but InvalidAuthData escapes for any input, no change to a signed token
yields another verified identity, and what is signed is what is read."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tgpass.errors import InvalidAuthData
from tgpass.login_token import LoginKeySet, validate_login_token

from .conftest import CLIENT_ID, KIDS, NOW, VECTORS, claims, sign

KEYS = LoginKeySet(VECTORS["jwks"]["telegram"])
SIGNED = {alg: sign(claims(), alg) for alg in KIDS}
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(token: Any) -> Any:
    try:
        return validate_login_token(token, CLIENT_ID, KEYS, now=NOW)
    except InvalidAuthData as refused:
        return refused.code


@FAST
@given(st.one_of(st.text(max_size=300), st.binary(max_size=100), st.integers(), st.none()))
def test_anything_is_a_token_or_an_invalid_auth_data(token: Any) -> None:
    assert isinstance(outcome(token), str)


def _segment(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@FAST
@given(
    header=st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "crit", "b64", "jku", "x5u", "zip"]),
        st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.lists(st.text())),
    ),
    payload=st.one_of(st.dictionaries(st.text(max_size=5), st.integers()), st.text(max_size=9)),
    signature=st.text(alphabet=B64URL, max_size=90),
)
def test_any_header_and_payload_are_refused_with_a_code(
    header: dict[str, Any], payload: Any, signature: str
) -> None:
    token = f"{_segment(header)}.{_segment(payload)}.{signature}"
    assert outcome(token) in InvalidAuthData.CODES


@FAST
@given(
    alg=st.sampled_from(sorted(KIDS)),
    index=st.integers(min_value=0),
    replacement=st.sampled_from(B64URL),
)
def test_no_change_to_a_signed_token_reads_as_another_login(
    alg: str, index: int, replacement: str
) -> None:
    original = SIGNED[alg]
    index %= len(original)
    changed = original[:index] + replacement + original[index + 1 :]
    result = outcome(changed)
    if not isinstance(result, str):  # the change fell in a segment's unused low bits
        assert dict(result.claims) == claims()
        assert result.algorithm == alg


@FAST
@given(
    alg=st.sampled_from(sorted(KIDS)),
    telegram_id=st.integers(min_value=1, max_value=2**63),
    name=st.text(max_size=64),
    username=st.none() | st.from_regex(r"[a-z][a-z0-9_]{4,31}", fullmatch=True),
    phone=st.none() | st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    extra=st.dictionaries(st.from_regex(r"x_[a-z]{1,8}", fullmatch=True), st.integers()),
)
def test_what_is_signed_is_what_is_read(
    alg: str,
    telegram_id: int,
    name: str,
    username: str | None,
    phone: str | None,
    extra: dict[str, int],
) -> None:
    signed = claims(
        id=telegram_id, name=name, preferred_username=username, phone_number=phone, **extra
    )
    login = validate_login_token(sign(signed, alg), CLIENT_ID, KEYS, now=NOW)
    assert (login.telegram_id, login.name, login.username, login.phone_number) == (
        telegram_id,
        name,
        username,
        phone,
    )
    assert dict(login.claims) == signed
