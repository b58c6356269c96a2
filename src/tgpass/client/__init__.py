"""A typed client for a tgpass service's site API (``pip install 'tgpass[client]'``).

::

    from tgpass.client import Client

    with Client("https://example.org", "KEY") as tgpass:
        tgpass.upsert_user("42", display_name="Ann", role="customer", karma=120)
        offer = tgpass.create_link("42")           # show offer.url to the user
        sent = tgpass.notify("42", "Your order shipped")
        done = tgpass.wait_for_notification(sent.id, timeout=60)

``AsyncClient`` is the same with ``await``. Every call of the API is a method; its answer a
frozen dataclass; its errors are classes of tgpass's tree (``ResourceNotFound`` is a
``tgpass.errors.NotFound``…). A call that may be repeated (a read, a PUT, a DELETE, a
notification, which carries an Idempotency-Key) is sent again after a 429, a 5xx or no
answer, as ``RetryPolicy`` says."""

from ._async import AsyncClient
from ._errors import (
    ApiError,
    ClientError,
    IdempotencyMismatch,
    InvalidRequest,
    NetworkError,
    PermissionDenied,
    ProgressTimeout,
    RequestConflict,
    ResourceNotFound,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnexpectedResponse,
)
from ._models import (
    UNSET,
    AuditEntry,
    Broadcast,
    Button,
    Chat,
    ChatPlan,
    ChatRule,
    Delivery,
    LinkOffer,
    MessageState,
    NewWebhookEndpoint,
    NotificationStatus,
    OidcClient,
    PlannedChange,
    PlanReport,
    Queued,
    Removal,
    RetriedDelivery,
    RotatedSecret,
    SiteUser,
    TelegramAccount,
    TestEvent,
    User,
    UserChat,
    UserChats,
    WebhookEndpoint,
)
from ._retry import NO_RETRY, RetryPolicy
from ._sync import Client

__all__ = [
    "NO_RETRY",
    "UNSET",
    "ApiError",
    "AsyncClient",
    "AuditEntry",
    "Broadcast",
    "Button",
    "Chat",
    "ChatPlan",
    "ChatRule",
    "Client",
    "ClientError",
    "Delivery",
    "IdempotencyMismatch",
    "InvalidRequest",
    "LinkOffer",
    "MessageState",
    "NetworkError",
    "NewWebhookEndpoint",
    "NotificationStatus",
    "OidcClient",
    "PermissionDenied",
    "PlanReport",
    "PlannedChange",
    "ProgressTimeout",
    "Queued",
    "Removal",
    "RequestConflict",
    "ResourceNotFound",
    "RetriedDelivery",
    "RetryPolicy",
    "RotatedSecret",
    "ServerError",
    "ServiceUnavailable",
    "SiteUser",
    "TelegramAccount",
    "TestEvent",
    "TooManyRequests",
    "Unauthorized",
    "UnexpectedResponse",
    "User",
    "UserChat",
    "UserChats",
    "WebhookEndpoint",
]
