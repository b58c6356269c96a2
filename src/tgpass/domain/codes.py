"""One-time codes: only a keyed hash is ever stored, so a leaked store grants nothing."""

from __future__ import annotations

import hashlib
import hmac


def code_key(secret_key: str, purpose: str, code: str) -> str:
    """The storage key of ``code``: HMAC-SHA256 keyed by the site's secret, per purpose."""
    digest = hmac.new(secret_key.encode(), f"{purpose}:{code}".encode(), hashlib.sha256)
    return f"{purpose}:{digest.hexdigest()}"
