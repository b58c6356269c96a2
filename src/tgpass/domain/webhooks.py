"""Event webhooks as pure rules (Standard Webhooks 1.0): the event types a site may hear,
an event's body, when a failed delivery is tried again, what an answer means, and which
addresses a delivery may never reach."""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from tgpass.errors import InvalidInput

EVENT_TYPES: tuple[str, ...] = (
    "account.signed_up",
    "account.linked",
    "account.unlinked",
    "account.deleted",
    "account.standing_changed",
    "telegram.bot_blocked",
    "telegram.bot_unblocked",
    "telegram.phone_shared",
    "chat.member_joined",
    "chat.member_left",
    "chat.member_removed",
    "chat.join_declined",
    "chat.paused",
    "chat.resumed",
    "notification.delivered",
    "notification.failed",
    "notification.unreachable",
    "broadcast.completed",
    "webhook.test",
)
"""Every type, in the order the README lists them. ``webhook.test`` is sent only when asked."""

RETRY_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
"""Seconds before each attempt, the first one's included: about 27 hours in eight tries."""
ATTEMPT_TIMEOUT = 15.0
MAX_JITTER = 0.1
"""A retry is put off by up to this share of its delay, so that endpoints that failed
together are not all tried again in the same second."""

Outcome = Literal["delivered", "retry", "gone"]
DeliveryState = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    """``msg_…``: the ``webhook-id`` of every delivery of it, retries included."""
    type: str
    occurred_at: float
    data: dict[str, Any]
    subject: str | None = None
    """Whom the event is about (``user:42``, ``chat:-100…``): deliveries about one subject
    go out in the order they happened."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a site hears events: its URL, the types it asked for, and its secret (a
    rotated-out one keeps signing beside the new one until ``previous_secret_until``)."""

    id: int
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: float
    description: str = ""
    enabled: bool = True
    disabled_reason: str | None = None
    previous_secret: str | None = None
    previous_secret_until: float = 0.0
    failing_since: float | None = None
    """When the deliveries to it began to fail (None while they succeed)."""

    def signing_secrets(self, now: float) -> tuple[str, ...]:
        if self.previous_secret is not None and now < self.previous_secret_until:
            return (self.secret, self.previous_secret)
        return (self.secret,)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to one endpoint, and how far it got."""

    endpoint_id: int
    event: Event
    state: DeliveryState
    attempts: int
    available_at: float
    """When it may be tried (again)."""
    created_at: float
    last_status: int | None = None
    last_error: str | None = None
    first_failed_at: float | None = None
    delivered_at: float | None = None
    lease_owner: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What became of one attempt: the delivery's next state, and when to try again."""

    endpoint_id: int
    event_id: str
    state: DeliveryState
    at: float
    status: int | None = None
    error: str | None = None
    available_at: float = 0.0


def body_of(event: Event) -> str:
    """What is signed and sent: ``{"type", "timestamp" (RFC 3339), "data"}``."""
    moment = datetime.fromtimestamp(event.occurred_at, UTC)
    timestamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(
        {"type": event.type, "timestamp": timestamp, "data": event.data},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def checked_types(types: Sequence[str] | None) -> tuple[str, ...]:
    """The event types an endpoint asks for; all of them (but the test) when None."""
    if types is None:
        return tuple(t for t in EVENT_TYPES if t != "webhook.test")
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            "unknown event types: {types}", field="events", values={"types": ", ".join(unknown)}
        )
    if not types:
        raise InvalidInput("name at least one event type, or leave events out", field="events")
    return tuple(t for t in EVENT_TYPES if t in set(types))


def parse_schedule(text: str) -> tuple[float, ...]:
    """``TGPASS_EVENTS_RETRY_SCHEDULE``: the delay before each attempt, comma-separated."""
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InvalidInput("the retry schedule holds something not a number") from None
    if not delays or any(not math.isfinite(d) or d < 0 for d in delays):
        raise InvalidInput("the retry schedule needs one or more delays of 0 s or more")
    return delays


def outcome_of(status: int | None) -> Outcome:
    """What an answer means: 2xx delivered; 410 Gone the endpoint asks to be disabled;
    anything else (no answer, 3xx, 4xx, 429, 5xx) is tried again."""
    if status is not None and 200 <= status < 300:
        return "delivered"
    if status == 410:
        return "gone"
    return "retry"


def next_attempt_at(
    schedule: Sequence[float],
    attempts: int,
    now: float,
    *,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> float | None:
    """When to try again after ``attempts`` failed ones; None when the schedule is spent.
    ``jitter`` (0-1) puts the retry off by that share of ``MAX_JITTER``; ``Retry-After`` is
    honoured when it asks for longer."""
    if attempts >= len(schedule):
        return None
    delay = schedule[attempts] * (1 + MAX_JITTER * min(max(jitter, 0.0), 1.0))
    if retry_after is not None and math.isfinite(retry_after):
        delay = max(delay, min(retry_after, 86400.0))
    return now + delay


def forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local (cloud metadata lives there), multicast, reserved or
    unspecified: a delivery must not reach into the network it is sent from."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def checked_url(url: str, *, allow_private: bool) -> str:
    """An endpoint's URL: https (http only where private URLs are allowed), a host, no
    user name or password in it, at most 2000 characters. Where the host resolves is
    checked at each delivery (``forbidden_address``)."""
    if not isinstance(url, str) or len(url) > 2000 or not url.isprintable():
        raise InvalidInput("the URL must be printable and at most 2000 characters", field="url")
    parts = urlsplit(url.strip())
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        if allow_private:
            raise InvalidInput("the URL must be http or https", field="url")
        raise InvalidInput("the URL must be https", field="url")
    if not parts.hostname:
        raise InvalidInput("the URL has no host", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("the URL may not hold a user name or password", field="url")
    try:
        _ = parts.port
    except ValueError:
        raise InvalidInput("the URL's port is not a number from 0 to 65535", field="url") from None
    if not allow_private:
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and forbidden_address(literal):
            raise InvalidInput("the URL points into a private network", field="url")
        if parts.hostname.lower() in {"localhost", "localhost.localdomain"}:
            raise InvalidInput("the URL points into a private network", field="url")
    return url.strip()
