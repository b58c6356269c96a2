"""Time checks on ``auth_date``, with the clock always injectable."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tgpass.errors import InvalidAuthData

DEFAULT_MAX_AGE = 86400.0
DEFAULT_MAX_SKEW = 60.0
# 9999-12-31T23:59:59Z: beyond it datetime cannot represent the moment.
_LAST_UNIX_TIME = 253402300799

Now = float | datetime | None


def unix_now(now: Now) -> float:
    """``now`` as unix seconds: the current time when None, a number as is, an aware datetime."""
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise TypeError("now must be a timezone-aware datetime (or unix seconds)")
        return now.timestamp()
    if isinstance(now, bool) or not isinstance(now, int | float):
        raise TypeError(f"now must be unix seconds or an aware datetime, not {type(now).__name__}")
    return float(now)


def parse_auth_date(value: str | None) -> int:
    """``auth_date`` must be a plain non-negative integer of unix seconds."""
    if value is None:
        raise InvalidAuthData("missing_field", "auth_date is missing", field="auth_date")
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise InvalidAuthData(
            "malformed", "auth_date must be a plain integer of unix seconds", field="auth_date"
        )
    seconds = int(value)
    if seconds > _LAST_UNIX_TIME:
        raise InvalidAuthData("malformed", "auth_date is out of range", field="auth_date")
    return seconds


def as_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def check_age(auth_date: int, *, max_age: float | None, max_skew: float, now: Now) -> None:
    """Refuse data signed too long ago, or later than now plus the allowed clock skew."""
    current = unix_now(now)
    if auth_date > current + max_skew:
        raise InvalidAuthData(
            "auth_date_in_future",
            "auth_date is {seconds} s in the future",
            field="auth_date",
            values={"seconds": format(auth_date - current, ".0f")},
            auth_date=as_datetime(auth_date),
        )
    if max_age is not None and current - auth_date > max_age:
        raise InvalidAuthData(
            "expired",
            "signed {seconds} s ago, more than max_age={max_age} s",
            field="auth_date",
            values={"seconds": format(current - auth_date, ".0f"), "max_age": format(max_age, "g")},
            auth_date=as_datetime(auth_date),
        )
