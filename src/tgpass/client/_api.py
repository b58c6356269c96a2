"""Every call of the site API as a ``Call``: its path, its body as the API documents it,
and how its answer is read. Both clients are thin over these."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from ._call import Call, json_of, nothing, replayed
from ._json import Fields, items
from ._models import (
    UNSET,
    AuditEntry,
    Broadcast,
    Button,
    Chat,
    ChatPlan,
    Delivery,
    LinkOffer,
    NewWebhookEndpoint,
    NotificationStatus,
    OidcClient,
    Queued,
    RetriedDelivery,
    RotatedSecret,
    SiteUser,
    TestEvent,
    Unset,
    UserChats,
    WebhookEndpoint,
)

SITE = "/api/site"
T = TypeVar("T")


def _segment(value: str | int) -> str:
    """One path segment: a site's user id may hold any character, ``/`` and ``?`` too."""
    return quote(str(value), safe="")


def _user(site_user_id: str) -> str:
    return f"{SITE}/users/{_segment(site_user_id)}"


def new_idempotency_key() -> str:
    """A key for one logical request, sent with each of its attempts."""
    return f"tgpass-client-{secrets.token_urlsafe(18)}"


def _idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key if key is not None else new_idempotency_key()}


def _list_of(parse: Callable[[Fields], T]) -> Callable[[httpx.Response], list[T]]:
    return lambda response: [parse(f) for f in items(response.json())]


# -- users --------------------------------------------------------------------------------


def upsert_user(site_user_id: str, display_name: str, role: str, karma: int) -> Call[SiteUser]:
    body = {"display_name": display_name, "role": role, "karma": karma}
    return Call("PUT", _user(site_user_id), lambda r: SiteUser.of(json_of(r)), body=body)


def get_user(site_user_id: str) -> Call[SiteUser]:
    return Call("GET", _user(site_user_id), lambda r: SiteUser.of(json_of(r)))


def delete_user(site_user_id: str) -> Call[None]:
    return Call("DELETE", _user(site_user_id), nothing)


def create_link(site_user_id: str) -> Call[LinkOffer]:
    return Call("POST", f"{_user(site_user_id)}/link", lambda r: LinkOffer.of(json_of(r)))


def unlink_user(site_user_id: str) -> Call[None]:
    return Call("DELETE", f"{_user(site_user_id)}/telegram", nothing)


# -- notifications ------------------------------------------------------------------------


def _message(
    text: str,
    parse_mode: str | None,
    buttons: Sequence[Sequence[Button]] | None,
    disable_notification: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text, "disable_notification": disable_notification}
    if parse_mode is not None:
        body["parse_mode"] = parse_mode
    if buttons is not None:
        body["buttons"] = [[{"text": b.text, "url": b.url} for b in row] for row in buttons]
    return body


def notify(
    site_user_id: str,
    text: str,
    *,
    parse_mode: str | None,
    buttons: Sequence[Sequence[Button]] | None,
    disable_notification: bool,
    idempotency_key: str | None,
) -> Call[Queued]:
    def parse(r: httpx.Response) -> Queued:
        return Queued.of(json_of(r), replayed=replayed(r))

    return Call(
        "POST",
        f"{_user(site_user_id)}/notifications",
        parse,
        body=_message(text, parse_mode, buttons, disable_notification),
        headers=_idempotency(idempotency_key),
    )


def broadcast(
    text: str,
    *,
    user_ids: Sequence[str] | None,
    roles: Sequence[str] | None,
    min_karma: int | None,
    parse_mode: str | None,
    buttons: Sequence[Sequence[Button]] | None,
    disable_notification: bool,
    idempotency_key: str | None,
) -> Call[Broadcast]:
    def parse(r: httpx.Response) -> Broadcast:
        return Broadcast.of(json_of(r), replayed=replayed(r))

    audience = {
        "user_ids": None if user_ids is None else list(user_ids),
        "roles": None if roles is None else list(roles),
        "min_karma": min_karma,
    }
    body = {**_message(text, parse_mode, buttons, disable_notification), "audience": audience}
    return Call(
        "POST", f"{SITE}/notifications", parse, body=body, headers=_idempotency(idempotency_key)
    )


def get_notification(notification_id: str) -> Call[NotificationStatus]:
    return Call(
        "GET",
        f"{SITE}/notifications/{_segment(notification_id)}",
        lambda r: NotificationStatus.of(json_of(r)),
    )


# -- gated chats --------------------------------------------------------------------------


def list_chats() -> Call[list[Chat]]:
    return Call("GET", f"{SITE}/chats", _list_of(Chat.of))


def chat_plan() -> Call[list[ChatPlan]]:
    return Call("GET", f"{SITE}/chats/plan", _list_of(ChatPlan.of))


def get_chat(chat_id: int) -> Call[Chat]:
    return Call("GET", f"{SITE}/chats/{int(chat_id)}", lambda r: Chat.of(json_of(r)))


def set_chat_rule(
    chat_id: int, *, min_karma: int | None, roles: Sequence[str] | None, managed: bool | None
) -> Call[Chat]:
    body: dict[str, Any] = {
        "min_karma": min_karma,
        "roles": None if roles is None else list(roles),
    }
    if managed is not None:
        body["managed"] = managed
    return Call(
        "PUT", f"{SITE}/chats/{int(chat_id)}/rule", lambda r: Chat.of(json_of(r)), body=body
    )


def remove_chat_rule(chat_id: int) -> Call[Chat]:
    return Call("DELETE", f"{SITE}/chats/{int(chat_id)}/rule", lambda r: Chat.of(json_of(r)))


def chat_audit(chat_id: int, limit: int) -> Call[list[AuditEntry]]:
    return Call(
        "GET",
        f"{SITE}/chats/{int(chat_id)}/audit",
        _list_of(AuditEntry.of),
        params={"limit": limit},
    )


def user_chats(site_user_id: str) -> Call[UserChats]:
    return Call("GET", f"{_user(site_user_id)}/chats", lambda r: UserChats.of(json_of(r)))


def user_audit(site_user_id: str, limit: int) -> Call[list[AuditEntry]]:
    return Call(
        "GET", f"{_user(site_user_id)}/audit", _list_of(AuditEntry.of), params={"limit": limit}
    )


# -- OpenID clients -----------------------------------------------------------------------


def register_oidc_client(
    name: str,
    redirect_uris: Sequence[str],
    *,
    post_logout_redirect_uris: Sequence[str],
    public: bool,
    scopes: Sequence[str] | None,
    id_token_alg: str,
) -> Call[OidcClient]:
    body = {
        "name": name,
        "redirect_uris": list(redirect_uris),
        "post_logout_redirect_uris": list(post_logout_redirect_uris),
        "public": public,
        "scopes": None if scopes is None else list(scopes),
        "id_token_signed_response_alg": id_token_alg,
    }
    return Call("POST", f"{SITE}/oidc/clients", lambda r: OidcClient.of(json_of(r)), body=body)


def list_oidc_clients() -> Call[list[OidcClient]]:
    return Call("GET", f"{SITE}/oidc/clients", _list_of(OidcClient.of))


# -- event webhooks -----------------------------------------------------------------------

HOOKS = f"{SITE}/webhooks"


def add_webhook(
    url: str, *, events: Sequence[str] | None, description: str
) -> Call[NewWebhookEndpoint]:
    body: dict[str, Any] = {"url": url, "description": description}
    if events is not None:
        body["events"] = list(events)
    return Call("POST", HOOKS, lambda r: NewWebhookEndpoint.of(json_of(r)), body=body)


def list_webhooks() -> Call[list[WebhookEndpoint]]:
    return Call("GET", HOOKS, _list_of(WebhookEndpoint.of))


def get_webhook(endpoint_id: int) -> Call[WebhookEndpoint]:
    return Call("GET", f"{HOOKS}/{int(endpoint_id)}", lambda r: WebhookEndpoint.of(json_of(r)))


def update_webhook(
    endpoint_id: int,
    *,
    url: str | Unset,
    events: Sequence[str] | Unset | None,
    description: str | Unset,
    enabled: bool | Unset,
) -> Call[WebhookEndpoint]:
    body: dict[str, Any] = {}
    if url is not UNSET:
        body["url"] = url
    if events is not UNSET:
        body["events"] = None if events is None else list(events)
    if description is not UNSET:
        body["description"] = description
    if enabled is not UNSET:
        body["enabled"] = enabled
    return Call(
        "PATCH",
        f"{HOOKS}/{int(endpoint_id)}",
        lambda r: WebhookEndpoint.of(json_of(r)),
        body=body,
    )


def delete_webhook(endpoint_id: int) -> Call[None]:
    return Call("DELETE", f"{HOOKS}/{int(endpoint_id)}", nothing)


def rotate_webhook_secret(endpoint_id: int) -> Call[RotatedSecret]:
    return Call(
        "POST",
        f"{HOOKS}/{int(endpoint_id)}/rotate-secret",
        lambda r: RotatedSecret.of(json_of(r)),
    )


def test_webhook(endpoint_id: int) -> Call[TestEvent]:
    return Call("POST", f"{HOOKS}/{int(endpoint_id)}/test", lambda r: TestEvent.of(json_of(r)))


def webhook_deliveries(endpoint_id: int, limit: int) -> Call[list[Delivery]]:
    return Call(
        "GET",
        f"{HOOKS}/{int(endpoint_id)}/deliveries",
        _list_of(Delivery.of),
        params={"limit": limit},
    )


def retry_delivery(endpoint_id: int, event_id: str) -> Call[RetriedDelivery]:
    return Call(
        "POST",
        f"{HOOKS}/{int(endpoint_id)}/deliveries/{_segment(event_id)}/retry",
        lambda r: RetriedDelivery.of(json_of(r)),
    )
