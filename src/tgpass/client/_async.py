"""``AsyncClient``: the site API from asyncio code (httpx)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import TypeVar

import httpx

from . import _api
from ._call import Call
from ._common import ProgressWatch, http_options
from ._errors import NetworkError
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
from ._retry import Retrying, RetryPolicy

T = TypeVar("T")


class AsyncClient:
    """The site API of a tgpass service at ``base_url``, called with ``api_key`` (one of its
    ``TGPASS_API_KEYS``). Use it as a context manager, or ``close()`` it.

    ``retry`` says how often a call that may be repeated is sent again after a 429, a 5xx or
    no answer; ``sleep`` and ``jitter`` are for tests. ``transport`` replaces the network
    (an ``httpx.MockTransport``, an ``httpx.ASGITransport``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: random.Random | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            transport=transport, **http_options(base_url, api_key, timeout)
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._jitter = jitter or random.Random()  # noqa: S311 (spreading retries, not secrets)

    def __repr__(self) -> str:
        return f"AsyncClient({str(self._http.base_url)!r})"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: Call[T]) -> T:
        """Send ``call``, again while its answer says "later" and it may be repeated."""
        retrying = Retrying(self._retry, call.repeatable, self._jitter)
        while True:
            try:
                response = await self._http.send(call.request(self._http))
            except httpx.TransportError as error:
                wait = retrying.after_failure(error)
                if wait is None:
                    raise NetworkError(f"{call.method} {call.path}: {error!r}") from error
            else:
                wait = retrying.after_answer(response)
                if wait is None:
                    return call.outcome(response)
            await self._sleep(wait)

    # -- users ----------------------------------------------------------------------------

    async def upsert_user(
        self, site_user_id: str, *, display_name: str, role: str = "member", karma: int = 0
    ) -> SiteUser:
        """Create or update the site's user ``site_user_id``: their name, role and karma
        (all three are set: a role or karma left out is ``member`` and 0)."""
        return await self._send(_api.upsert_user(site_user_id, display_name, role, karma))

    async def get_user(self, site_user_id: str) -> SiteUser:
        """The user and their Telegram link; ``ResourceNotFound`` for an unknown id."""
        return await self._send(_api.get_user(site_user_id))

    async def delete_user(self, site_user_id: str) -> None:
        """Forget the user: their Telegram link goes, gated chats let them out."""
        return await self._send(_api.delete_user(site_user_id))

    async def create_link(self, site_user_id: str) -> LinkOffer:
        """A one-time link for the user to open: it links their Telegram account."""
        return await self._send(_api.create_link(site_user_id))

    async def unlink_user(self, site_user_id: str) -> None:
        """Unlink the user's Telegram account (``ResourceNotFound`` ``not_linked``)."""
        return await self._send(_api.unlink_user(site_user_id))

    # -- notifications --------------------------------------------------------------------

    async def notify(
        self,
        site_user_id: str,
        text: str,
        *,
        parse_mode: str | None = None,
        buttons: Sequence[Sequence[Button]] | None = None,
        disable_notification: bool = False,
        idempotency_key: str | None = None,
    ) -> Queued:
        """Queue a message to the user's Telegram (``RequestConflict`` ``not_linked``
        without one). Sent with an Idempotency-Key (``idempotency_key``, or one made for
        this call), the same on every attempt: it is sent once however often it is tried."""
        return await self._send(
            _api.notify(
                site_user_id,
                text,
                parse_mode=parse_mode,
                buttons=buttons,
                disable_notification=disable_notification,
                idempotency_key=idempotency_key,
            )
        )

    async def broadcast(
        self,
        text: str,
        *,
        user_ids: Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
        min_karma: int | None = None,
        parse_mode: str | None = None,
        buttons: Sequence[Sequence[Button]] | None = None,
        disable_notification: bool = False,
        idempotency_key: str | None = None,
    ) -> Broadcast:
        """Queue a message to every linked user matching every filter given (site ids,
        any of ``roles``, ``min_karma``); idempotent like ``notify``."""
        return await self._send(
            _api.broadcast(
                text,
                user_ids=user_ids,
                roles=roles,
                min_karma=min_karma,
                parse_mode=parse_mode,
                buttons=buttons,
                disable_notification=disable_notification,
                idempotency_key=idempotency_key,
            )
        )

    async def get_notification(self, notification_id: str) -> NotificationStatus:
        return await self._send(_api.get_notification(notification_id))

    async def iter_progress(
        self, notification_id: str, *, interval: float = 1.0, timeout: float | None = None
    ) -> AsyncIterator[NotificationStatus]:
        """The notification's status every ``interval`` seconds, until one that is done
        (yielded last); ``ProgressTimeout`` if it is not done within ``timeout``."""
        watch = ProgressWatch(interval, timeout)
        while True:
            status = await self.get_notification(notification_id)
            yield status
            if status.done:
                return
            await self._sleep(watch.wait_after(status))

    async def wait_for_notification(
        self, notification_id: str, *, interval: float = 1.0, timeout: float | None = None
    ) -> NotificationStatus:
        """The notification's status once every message is settled; ``ProgressTimeout`` if
        it is not within ``timeout`` seconds."""
        watch = ProgressWatch(interval, timeout)
        while not (status := await self.get_notification(notification_id)).done:
            await self._sleep(watch.wait_after(status))
        return status

    # -- gated chats ----------------------------------------------------------------------

    async def list_chats(self) -> list[Chat]:
        """Every chat where the bot is or was, with its rights and rule."""
        return await self._send(_api.list_chats())

    async def get_chat(self, chat_id: int) -> Chat:
        return await self._send(_api.get_chat(chat_id))

    async def set_chat_rule(
        self,
        chat_id: int,
        *,
        min_karma: int | None = None,
        roles: Sequence[str] | None = None,
        managed: bool | None = None,
    ) -> Chat:
        """Gate the chat: who may be in it (``None``: no condition); ``managed``: remove
        members linked to no account (``None``: unchanged)."""
        return await self._send(
            _api.set_chat_rule(chat_id, min_karma=min_karma, roles=roles, managed=managed)
        )

    async def remove_chat_rule(self, chat_id: int) -> Chat:
        """Stop gating the chat."""
        return await self._send(_api.remove_chat_rule(chat_id))

    async def chat_plan(self) -> list[ChatPlan]:
        """What a reconciler pass would change now, chat by chat (nothing is changed)."""
        return await self._send(_api.chat_plan())

    async def chat_audit(self, chat_id: int, *, limit: int = 100) -> list[AuditEntry]:
        """What gating did in the chat and why, newest first."""
        return await self._send(_api.chat_audit(chat_id, limit))

    async def user_chats(self, site_user_id: str) -> UserChats:
        """Where the user stands in each gated chat."""
        return await self._send(_api.user_chats(site_user_id))

    async def user_audit(self, site_user_id: str, *, limit: int = 100) -> list[AuditEntry]:
        """What gating did about the user, in every chat, newest first."""
        return await self._send(_api.user_audit(site_user_id, limit))

    # -- OpenID clients -------------------------------------------------------------------

    async def register_oidc_client(
        self,
        name: str,
        redirect_uris: Sequence[str],
        *,
        post_logout_redirect_uris: Sequence[str] = (),
        public: bool = False,
        scopes: Sequence[str] | None = None,
        id_token_alg: str = "RS256",  # noqa: S107 (an algorithm's name)
    ) -> OidcClient:
        """Register an app that signs its users in through tgpass; its ``client_secret``
        is in this answer only."""
        return await self._send(
            _api.register_oidc_client(
                name,
                redirect_uris,
                post_logout_redirect_uris=post_logout_redirect_uris,
                public=public,
                scopes=scopes,
                id_token_alg=id_token_alg,
            )
        )

    async def list_oidc_clients(self) -> list[OidcClient]:
        return await self._send(_api.list_oidc_clients())

    # -- event webhooks -------------------------------------------------------------------

    async def add_webhook(
        self, url: str, *, events: Sequence[str] | None = None, description: str = ""
    ) -> NewWebhookEndpoint:
        """An endpoint for the event types named (every type when ``None``); its
        ``secret`` is in this answer only."""
        return await self._send(_api.add_webhook(url, events=events, description=description))

    async def list_webhooks(self) -> list[WebhookEndpoint]:
        return await self._send(_api.list_webhooks())

    async def get_webhook(self, endpoint_id: int) -> WebhookEndpoint:
        return await self._send(_api.get_webhook(endpoint_id))

    async def update_webhook(
        self,
        endpoint_id: int,
        *,
        url: str | Unset = UNSET,
        events: Sequence[str] | Unset | None = UNSET,
        description: str | Unset = UNSET,
        enabled: bool | Unset = UNSET,
    ) -> WebhookEndpoint:
        """Change what is given (``events=None``: every type; ``enabled=True`` re-enables
        a disabled endpoint)."""
        return await self._send(
            _api.update_webhook(
                endpoint_id, url=url, events=events, description=description, enabled=enabled
            )
        )

    async def delete_webhook(self, endpoint_id: int) -> None:
        return await self._send(_api.delete_webhook(endpoint_id))

    async def rotate_webhook_secret(self, endpoint_id: int) -> RotatedSecret:
        """A new secret, shown this once; the old one signs too for a grace period."""
        return await self._send(_api.rotate_webhook_secret(endpoint_id))

    async def test_webhook(self, endpoint_id: int) -> TestEvent:
        """Send a ``webhook.test`` event to this endpoint alone."""
        return await self._send(_api.test_webhook(endpoint_id))

    async def webhook_deliveries(self, endpoint_id: int, *, limit: int = 50) -> list[Delivery]:
        """The endpoint's deliveries, newest first."""
        return await self._send(_api.webhook_deliveries(endpoint_id, limit))

    async def retry_delivery(self, endpoint_id: int, event_id: str) -> RetriedDelivery:
        """Send that event to the endpoint again, now."""
        return await self._send(_api.retry_delivery(endpoint_id, event_id))
