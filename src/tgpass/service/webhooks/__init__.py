"""Event webhooks: what happened, told to the site's endpoints (Standard Webhooks 1.0).
Events are announced in the unit of work of the change they tell of; the deliverer sends
them, signed, retried, in order per user; the endpoints are the site's to manage."""

from .announcer import Announcer, user_subject
from .deliverer import Deliverer, DelivererConfig
from .endpoints import WebhookService, new_secret

__all__ = [
    "Announcer",
    "Deliverer",
    "DelivererConfig",
    "WebhookService",
    "new_secret",
    "user_subject",
]
