"""The worker's commands: ``worker``, ``notify``, ``outbox`` and ``reconcile``. Imported only
when used."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable
from typing import Any, TextIO

from .settings import Settings


def add_commands(commands: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Register the commands on the CLI's sub-parsers (``add`` makes one)."""
    worker = add(
        commands,
        "worker",
        "Run the background worker alone: send the outbox (and read updates with --polling).",
    )
    worker.add_argument("--polling", action="store_true", help="also read updates by long polling")
    worker.set_defaults(handler=_worker)

    notify = add(
        commands,
        "notify",
        "Queue a message to one linked user or to an audience, then send it, showing progress.",
    )
    who = notify.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="ID", help="the site's user id of one user")
    who.add_argument(
        "--role", action="append", metavar="ROLE", help="users with this role (repeatable)"
    )
    who.add_argument("--all", action="store_true", help="every linked user")
    notify.add_argument("--min-karma", type=int, metavar="N", help="only users with karma ≥ N")
    notify.add_argument("--text", required=True, help="the message")
    notify.add_argument(
        "--parse-mode", choices=["HTML", "MarkdownV2"], help="how Telegram reads the text"
    )
    notify.add_argument(
        "--queue-only", action="store_true", help="queue it and exit; a worker sends it"
    )
    notify.set_defaults(handler=_notify)

    outbox = add(commands, "outbox", "Dead letters: list them, or queue them again.")
    outbox.add_argument("action", choices=["dead", "retry"], help="list, or queue again")
    outbox.add_argument("ids", nargs="*", type=int, help="rows to retry (default: every one)")
    outbox.set_defaults(handler=_outbox)

    reconcile = add(
        commands,
        "reconcile",
        "Make gated chats' members what their rules say (one pass), printing the plan.",
    )
    reconcile.add_argument(
        "--dry-run", action="store_true", help="print what would change; change nothing"
    )
    reconcile.set_defaults(handler=_reconcile)


def _settings() -> Settings:
    settings = Settings.from_env()
    if not settings.bot_token:
        raise SystemExit("set TGPASS_BOT_TOKEN (and the other TGPASS_ settings)")
    return settings


def _worker(args: argparse.Namespace) -> Any:
    from .bootstrap import build, make_worker
    from .log_setup import configure

    configure("INFO")

    async def run() -> None:
        services = await build(_settings())
        try:
            await make_worker(services, outbox=True, polling=args.polling).run()
        finally:
            await services.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return None


def _notify(args: argparse.Namespace) -> Any:
    from .bootstrap import build
    from .domain.delivery import checked_message
    from .service.notify.notifications import Audience

    async def run() -> dict[str, Any]:
        services = await build(_settings())
        try:
            message = checked_message(args.text, parse_mode=args.parse_mode)
            if args.user is not None:
                user = (await services.site.get(args.user)).user
                accepted = await services.notifications.send(user, message)
            else:
                audience = Audience(
                    roles=tuple(args.role) if args.role else None, min_karma=args.min_karma
                )
                accepted = await services.notifications.broadcast(message, audience)
            if args.queue_only or not accepted.recipients:
                return {"id": accepted.id, "recipients": accepted.recipients}
            sending = asyncio.create_task(services.sender.run())
            try:
                status = await _follow(services, accepted.id, sys.stderr)
            finally:
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending
            return {"id": accepted.id, "recipients": accepted.recipients, **status}
        finally:
            await services.close()

    return asyncio.run(run())


async def _follow(services: Any, notification_id: str, out: TextIO) -> dict[str, int]:
    """Draw a progress bar until nothing of the notification waits."""
    while True:
        status = await services.notifications.status(notification_id)
        counts = status.counts
        done = counts["sent"] + counts["failed"] + counts["unreachable"]
        total = max(status.recipients, 1)
        filled = 30 * done // total
        out.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{status.recipients} "
            f"sent {counts['sent']} · unreachable {counts['unreachable']} · "
            f"failed {counts['failed']}"
        )
        out.flush()
        if done >= status.recipients:
            out.write("\n")
            return {k: counts[k] for k in ("sent", "failed", "unreachable")}
        await asyncio.sleep(0.5)


def _outbox(args: argparse.Namespace) -> Any:
    from .bootstrap import build

    async def run() -> Any:
        services = await build(_settings())
        try:
            if args.action == "retry":
                count = await services.notifications.retry(args.ids or None)
                return {"requeued": count}
            return [
                {
                    "id": item.id,
                    "chat_id": item.chat_id,
                    "user_id": item.user_id,
                    "notification_id": item.notification_id,
                    "attempts": item.attempts,
                    "last_error": item.last_error,
                    "text": item.message.text,
                }
                for item in await services.notifications.dead_letters()
            ]
        finally:
            await services.close()

    return asyncio.run(run())


def _reconcile(args: argparse.Namespace) -> Any:
    from .bootstrap import build

    async def run() -> Any:
        services = await build(_settings())
        try:
            report = await services.gating.reconcile(dry_run=args.dry_run)
            if report is None:
                return {"busy": "another process is reconciling; try again soon"}
            if not args.dry_run:
                await services.sender.send_due()  # the invites and notices it queued
            return {
                "dry_run": args.dry_run,
                "applied": report.applied,
                "failed": report.failed,
                "plans": [plan.as_dict() for plan in report.plans],
            }
        finally:
            await services.close()

    return asyncio.run(run())
