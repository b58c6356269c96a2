"""The event endpoints' commands: ``tgpass webhooks add | list | rotate | test | deliveries
| retry`` (and ``enable``, ``disable``, ``delete``). Each prints JSON shaped as the site API
answers. Imported only when used; they need the service's settings (``TGPASS_``), and a
worker sends what they queue."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from .domain.webhooks import EVENT_TYPES
from .settings import Settings

if TYPE_CHECKING:  # the service loads only when a command runs
    from .service.webhooks import WebhookService


def add_commands(commands: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``webhooks`` and its actions on the CLI's sub-parsers (``add`` makes one)."""
    webhooks = add(
        commands, "webhooks", "Event webhooks: the site's endpoints, their secrets, deliveries."
    )
    actions = webhooks.add_subparsers(dest="action", required=True, metavar="ACTION")

    made = add(
        actions,
        "add",
        "Register an endpoint; prints it with its signing secret, shown this once.",
    )
    made.add_argument("--url", required=True, help="where deliveries are POSTed (https)")
    made.add_argument(
        "--event",
        action="append",
        choices=EVENT_TYPES,
        metavar="TYPE",
        help="an event type it hears (repeatable; default: every type)",
    )
    made.add_argument("--description", default="", help="a note for people (at most 200)")
    made.set_defaults(handler=_add)

    listed = add(actions, "list", "List the endpoints, with their health (no secrets).")
    listed.set_defaults(handler=_list)

    rotate = add(
        actions,
        "rotate",
        "Give an endpoint a new secret (printed this once); the old one keeps signing beside "
        "it for TGPASS_EVENTS_SECRET_GRACE seconds.",
    )
    _endpoint_id(rotate)
    rotate.set_defaults(handler=_rotate)

    test = add(actions, "test", "Queue a webhook.test event to an endpoint; a worker sends it.")
    _endpoint_id(test)
    test.set_defaults(handler=_test)

    deliveries = add(actions, "deliveries", "An endpoint's deliveries, newest first.")
    _endpoint_id(deliveries)
    deliveries.add_argument(
        "--limit", type=_limit, default=50, metavar="N", help="at most N (1-500; default: 50)"
    )
    deliveries.set_defaults(handler=_deliveries)

    retry = add(actions, "retry", "Send one delivery again, now, whatever became of it.")
    _endpoint_id(retry)
    retry.add_argument("event_id", metavar="EVENT_ID", help="the event's id (msg_...)")
    retry.set_defaults(handler=_retry)

    for name, help_text, enabled in (
        ("enable", "Enable an endpoint again (forgetting why it was disabled).", True),
        ("disable", "Stop sending to an endpoint; its deliveries wait.", False),
    ):
        toggle = add(actions, name, help_text)
        _endpoint_id(toggle)
        toggle.set_defaults(handler=_toggle, enabled=enabled)

    delete = add(actions, "delete", "Remove an endpoint and its deliveries.")
    _endpoint_id(delete)
    delete.set_defaults(handler=_delete)


def _endpoint_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("endpoint_id", type=int, metavar="ID", help="the endpoint's id")


def _limit(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 500:
        raise argparse.ArgumentTypeError("a limit from 1 to 500")
    return value


def _with_webhooks(work: Callable[[WebhookService], Awaitable[Any]]) -> Any:
    from .bootstrap import make_webhooks, sql_stores
    from .service.webhooks import Announcer

    settings = Settings.from_env()

    async def run() -> Any:
        # the endpoints' use case over the database alone: a running worker delivers
        stores = await sql_stores(settings)
        try:
            uow = partial(stores.unit_of_work, lambda: None)
            return await work(make_webhooks(settings, uow, Announcer()))
        finally:
            await stores.accounts.close()  # and with it the database's connections

    return asyncio.run(run())


def _add(args: argparse.Namespace) -> Any:
    from .web.webhook_views import CreatedOut

    async def work(webhooks: WebhookService) -> Any:
        made = await webhooks.add(args.url, args.event, description=args.description)
        return CreatedOut.made(made, now=webhooks.clock()).model_dump()

    return _with_webhooks(work)


def _list(args: argparse.Namespace) -> Any:
    from .web.webhook_views import endpoints_with_health

    async def work(webhooks: WebhookService) -> Any:
        return [e.model_dump() for e in await endpoints_with_health(webhooks)]

    return _with_webhooks(work)


def _rotate(args: argparse.Namespace) -> Any:
    from .web.webhook_views import RotatedOut

    async def work(webhooks: WebhookService) -> Any:
        rotated = await webhooks.rotate_secret(args.endpoint_id)
        return RotatedOut.of(rotated, now=webhooks.clock()).model_dump()

    return _with_webhooks(work)


def _test(args: argparse.Namespace) -> Any:
    async def work(webhooks: WebhookService) -> Any:
        event = await webhooks.test(args.endpoint_id)
        return {"event_id": event.id, "type": event.type}

    return _with_webhooks(work)


def _deliveries(args: argparse.Namespace) -> Any:
    from .web.webhook_views import DeliveryOut

    async def work(webhooks: WebhookService) -> Any:
        found = await webhooks.deliveries(args.endpoint_id, limit=args.limit)
        return [DeliveryOut.of(d).model_dump() for d in found]

    return _with_webhooks(work)


def _retry(args: argparse.Namespace) -> Any:
    async def work(webhooks: WebhookService) -> Any:
        await webhooks.retry(args.endpoint_id, args.event_id)
        return {"event_id": args.event_id, "status": "pending"}

    return _with_webhooks(work)


def _toggle(args: argparse.Namespace) -> Any:
    from .web.webhook_views import EndpointOut

    async def work(webhooks: WebhookService) -> Any:
        updated = await webhooks.update(args.endpoint_id, enabled=args.enabled)
        return EndpointOut.of(updated, now=webhooks.clock()).model_dump()

    return _with_webhooks(work)


def _delete(args: argparse.Namespace) -> Any:
    async def work(webhooks: WebhookService) -> Any:
        await webhooks.delete(args.endpoint_id)
        return {"ok": True}

    return _with_webhooks(work)
