"""One-time codes are stored under a keyed hash, per purpose."""

from __future__ import annotations

import hashlib
import hmac

from tgpass.domain.codes import code_key


def test_the_key_is_the_purpose_and_an_hmac_of_purpose_and_code() -> None:
    expected = hmac.new(b"secret", b"login:abc", hashlib.sha256).hexdigest()
    assert code_key("secret", "login", "abc") == f"login:{expected}"


def test_the_key_depends_on_secret_purpose_and_code() -> None:
    base = code_key("secret", "login", "abc")
    assert code_key("secret", "login", "abc") == base
    others = {
        code_key("other", "login", "abc"),
        code_key("secret", "link", "abc"),
        code_key("secret", "login", "abd"),
        code_key("secret", "login:a", "bc"),
    }
    assert base not in others
    assert len(others) == 4
    assert "abc" not in base.partition(":")[2]
