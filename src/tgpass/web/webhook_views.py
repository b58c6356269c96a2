"""What the site API and the staff page take and show of event endpoints and their
deliveries: the JSON models. An endpoint's secret is shown when it is made or rotated,
never in a listing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from tgpass.domain.webhooks import EVENT_TYPES, Delivery, Endpoint
from tgpass.service.ports import UNSET
from tgpass.service.webhooks import WebhookService

from .schemas import Text

EndpointId = Annotated[int, Path(ge=1, le=2**62, description="The endpoint's id.")]
EventId = Annotated[str, Path(min_length=1, max_length=64, description="The event's id (`msg_…`).")]
DeliveryLimit = Annotated[
    int, Query(ge=1, le=500, description="At most this many deliveries, newest first.")
]
EventType = Annotated[str, Field(json_schema_extra={"enum": list(EVENT_TYPES)})]
"""Documented as the list of types; an unknown one is refused by the use case (422)."""
EventTypes = Annotated[
    list[EventType],
    Field(max_length=64, description="The event types it hears; every type when absent."),
]
Url = Annotated[Text, Field(max_length=2000, description="Where deliveries are POSTed (https).")]
Description = Annotated[Text, Field(max_length=200, description="A note for people.")]


class EndpointIn(BaseModel):
    """A new endpoint. Unknown fields are refused: a misspelt ``events`` would otherwise
    subscribe it to every type."""

    model_config = ConfigDict(extra="forbid")

    url: Url
    events: EventTypes | None = None
    description: Description = ""


class EndpointPatch(BaseModel):
    """What to change; a field left out stays as it is. ``events: null`` is every type;
    ``enabled: true`` re-enables an endpoint that was disabled, forgetting why."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    events: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields given, for ``WebhookService.update`` (the use case refuses a null
        where it means nothing: a URL, a description, enabled)."""
        given = self.model_fields_set
        return {
            name: getattr(self, name) if name in given else UNSET
            for name in ("url", "events", "description", "enabled")
        }


class EndpointOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why it was disabled (by the site, a 410 answer, failing too long)."
    )
    failing_since: float | None = Field(
        description="When its deliveries began to fail (Unix seconds); null while they succeed."
    )
    previous_secret_until: float | None = Field(
        description="After a rotation: until when the old secret still signs beside the new."
    )
    created_at: float

    @classmethod
    def of(cls, endpoint: Endpoint, *, now: float) -> EndpointOut:
        return cls(**_fields(endpoint, now))


class EndpointHealthOut(EndpointOut):
    pending: int = Field(description="Deliveries not yet delivered nor failed.")


async def endpoints_with_health(webhooks: WebhookService) -> list[EndpointHealthOut]:
    """Every endpoint and how it fares: enabled or why not, failing since, pending."""
    now, pending = webhooks.clock(), await webhooks.pending_counts()
    return [
        EndpointHealthOut(**_fields(endpoint, now), pending=pending.get(endpoint.id, 0))
        for endpoint in await webhooks.endpoints()
    ]


class CreatedOut(EndpointOut):
    secret: str = Field(description="`whsec_…`: shown here only; keep it to verify deliveries.")

    @classmethod
    def made(cls, endpoint: Endpoint, *, now: float) -> CreatedOut:
        return cls(**_fields(endpoint, now), secret=endpoint.secret)


class RotatedOut(BaseModel):
    id: int
    secret: str = Field(description="The new `whsec_…` secret: shown here only.")
    previous_secret_until: float | None = Field(
        description="Until then every delivery is signed by the old secret too."
    )

    @classmethod
    def of(cls, endpoint: Endpoint, *, now: float) -> RotatedOut:
        return cls(
            id=endpoint.id,
            secret=endpoint.secret,
            previous_secret_until=_previous_until(endpoint, now),
        )


class SentOut(BaseModel):
    event_id: str
    type: Literal["webhook.test"] = "webhook.test"


class DeliveryOut(BaseModel):
    event_id: str
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status: int | None = Field(description="The endpoint's last HTTP status.")
    last_error: str | None = Field(description="Why the last attempt failed, if it did.")
    next_attempt_at: float | None = Field(description="When it is tried next, while pending.")
    created_at: float
    delivered_at: float | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            event_id=delivery.event.id,
            type=delivery.event.type,
            status=delivery.state,
            attempts=delivery.attempts,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            next_attempt_at=delivery.available_at if delivery.state == "pending" else None,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )


class RetriedOut(BaseModel):
    event_id: str
    status: Literal["pending"] = "pending"


def _previous_until(endpoint: Endpoint, now: float) -> float | None:
    live = endpoint.previous_secret is not None and now < endpoint.previous_secret_until
    return endpoint.previous_secret_until if live else None


def _fields(endpoint: Endpoint, now: float) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "previous_secret_until": _previous_until(endpoint, now),
        "created_at": endpoint.created_at,
    }
