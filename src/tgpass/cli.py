"""The ``tgpass`` command line.

Verify commands print the parsed data as JSON and exit 0, or print
``{"error": {"code": ..., "message": ...}}`` and exit 1. A bot token may come from
``--bot-token`` or from the environment (``TGPASS_BOT_TOKEN``), which keeps it out of ``ps``.
A command that cannot start (a port in use) says why in one line and exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from .errors import TgpassError
from .startup import CannotStart, ensure_free
from .verify import (
    TELEGRAM_PUBLIC_KEY,
    TELEGRAM_TEST_PUBLIC_KEY,
    new_link_code,
    parse_init_data,
    sign_init_data,
    sign_login_widget,
    start_link,
    validate_init_data,
    validate_init_data_signature,
    validate_login_widget,
)

Handler = Callable[[argparse.Namespace], Any]

DESCRIPTION = "Verify what Telegram signs; run the tgpass service, its demo and a sandbox Telegram."


def _max_age(text: str) -> float | None:
    if text.lower() in {"none", "off"}:
        return None
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("max age must be >= 0, or 'none'")
    return value


def _field(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def _read(value: str) -> str:
    return sys.stdin.read().strip() if value == "-" else value


def _token(args: argparse.Namespace) -> str:
    token: str | None = args.bot_token or os.environ.get("TGPASS_BOT_TOKEN")
    if not token:
        raise SystemExit("tgpass: give --bot-token or set TGPASS_BOT_TOKEN")
    return token


# -- commands ---------------------------------------------------------------------------------


def _initdata_verify(args: argparse.Namespace) -> Any:
    raw = _read(args.raw)
    checks = {"max_age": args.max_age, "max_skew": args.max_skew, "now": args.now}
    if args.bot_id is not None:
        key = TELEGRAM_TEST_PUBLIC_KEY if args.test_env else args.public_key
        return validate_init_data_signature(raw, args.bot_id, public_key=key, **checks).to_dict()
    return validate_init_data(raw, _token(args), **checks).to_dict()


def _initdata_parse(args: argparse.Namespace) -> Any:
    return parse_init_data(_read(args.raw)).to_dict()


def _initdata_sign(args: argparse.Namespace) -> Any:
    auth_date = int(time.time()) if args.auth_date is None else args.auth_date
    return sign_init_data(dict(args.field), _token(args), auth_date=auth_date)


def _widget_verify(args: argparse.Namespace) -> Any:
    data = _read(args.data)  # a query string or a JSON object: validate_login_widget reads both
    checks = {"max_age": args.max_age, "max_skew": args.max_skew, "now": args.now}
    return validate_login_widget(data, _token(args), **checks).to_dict()


def _widget_sign(args: argparse.Namespace) -> Any:
    auth_date = int(time.time()) if args.auth_date is None else args.auth_date
    return sign_login_widget(dict(args.field), _token(args), auth_date=auth_date)


def _link(args: argparse.Namespace) -> Any:
    code = args.payload or new_link_code()
    return {"code": code, "url": start_link(args.bot, code, base=args.base)}


def _sandbox(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from .sandbox.run import serve

    ensure_free(args.host, args.port, "--port")
    state = Path(args.state) if args.state else None
    serve(host=args.host, port=args.port, state_file=state, limits=not args.no_limits)


def _serve(args: argparse.Namespace) -> Any:
    from .service_cli import serve

    ensure_free(args.host, args.port, "--port")
    serve(host=args.host, port=args.port, polling=args.polling, access_log=not args.no_access_log)


def _migrate(args: argparse.Namespace) -> Any:
    from .service_cli import migrate

    migrate()


def _webhook(args: argparse.Namespace) -> Any:
    from .service_cli import webhook

    return webhook(args.action)


def _demo(args: argparse.Namespace) -> Any:
    from .log_setup import configure

    configure("WARNING")  # what goes wrong, said with its time and where: not the routine
    try:
        from .demo import main as demo  # a second or two: Ctrl+C may come meanwhile

        code = demo(
            site_port=args.port, sandbox_port=args.sandbox_port, check=args.check, fresh=args.fresh
        )
    except KeyboardInterrupt:
        print("tgpass demo: stopped before it started", file=sys.stderr)
        code = 130  # as a shell reports a program stopped by Ctrl+C
    if code:
        raise SystemExit(code)


# -- parser -----------------------------------------------------------------------------------


def _add_checks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-age",
        type=_max_age,
        default=86400.0,
        metavar="SECONDS|none",
        help="refuse data signed longer ago than this (default: 86400; none: no limit)",
    )
    parser.add_argument(
        "--max-skew",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="refuse data signed further in the future than this (default: 60)",
    )
    parser.add_argument(
        "--now", type=float, default=None, metavar="UNIX", help="check as of this time"
    )


def _add_sign(commands: Any, help: str, handler: Handler) -> None:
    sign = commands.add_parser("sign", help=help, description=help)
    sign.add_argument("--bot-token", help="the bot's token (default: $TGPASS_BOT_TOKEN)")
    sign.add_argument(
        "--field",
        type=_field,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a field to sign; repeat for each (objects as JSON)",
    )
    sign.add_argument("--auth-date", type=int, metavar="UNIX", help="default: now")
    sign.set_defaults(handler=handler)


def _add_command(commands: Any, name: str, help: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help, description=help)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tgpass", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    initdata = _add_command(commands, "initdata", "Mini App init data: verify, parse, sign")
    initdata_commands = initdata.add_subparsers(dest="action", required=True, metavar="ACTION")

    verify = _add_command(initdata_commands, "verify", "check init data, print it as JSON")
    who = verify.add_mutually_exclusive_group()
    who.add_argument("--bot-token", help="check the HMAC (default: $TGPASS_BOT_TOKEN)")
    who.add_argument("--bot-id", type=int, help="check Telegram's Ed25519 signature instead")
    key = verify.add_mutually_exclusive_group()
    key.add_argument(
        "--public-key",
        default=TELEGRAM_PUBLIC_KEY,
        metavar="HEX",
        help="the Ed25519 key for --bot-id (default: Telegram's production key)",
    )
    key.add_argument("--test-env", action="store_true", help="Telegram's test-environment key")
    _add_checks(verify)
    verify.add_argument("raw", metavar="RAW", help="the init data, or - for stdin")
    verify.set_defaults(handler=_initdata_verify)

    parse = _add_command(initdata_commands, "parse", "print init data WITHOUT checking it")
    parse.add_argument("raw", metavar="RAW", help="the init data, or - for stdin")
    parse.set_defaults(handler=_initdata_parse)

    _add_sign(initdata_commands, "make signed init data", _initdata_sign)

    widget = _add_command(commands, "widget", "Login Widget and LoginUrl data: verify, sign")
    widget_commands = widget.add_subparsers(dest="action", required=True, metavar="ACTION")
    wverify = _add_command(widget_commands, "verify", "check widget data, print it as JSON")
    wverify.add_argument("--bot-token", help="the bot's token (default: $TGPASS_BOT_TOKEN)")
    _add_checks(wverify)
    wverify.add_argument(
        "data", metavar="QUERY_STRING_OR_JSON", help="the data as received, or - for stdin"
    )
    wverify.set_defaults(handler=_widget_verify)
    _add_sign(widget_commands, "make signed widget data", _widget_sign)

    link = _add_command(commands, "link", "a bot deep link with a fresh one-time code")
    link.add_argument("--bot", required=True, help="the bot's username")
    link.add_argument(
        "--base",
        default="https://t.me",
        metavar="URL",
        help="where the link points (default: https://t.me; a sandbox: http://HOST:PORT/t.me)",
    )
    link.add_argument("payload", nargs="?", help="the payload (default: a new link code)")
    link.set_defaults(handler=_link)

    sandbox = _add_command(commands, "sandbox", "serve the offline sandbox Telegram")
    sandbox.add_argument("--host", default="127.0.0.1", help="listen here (default: 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8081, help="listen here (default: 8081)")
    sandbox.add_argument(
        "--state", metavar="FILE", help="load the world from FILE, save it on exit"
    )
    sandbox.add_argument("--no-limits", action="store_true", help="turn flood limits off")
    sandbox.set_defaults(handler=_sandbox)

    serve = _add_command(commands, "serve", "run the service (settings from TGPASS_ variables)")
    serve.add_argument("--host", default="127.0.0.1", help="listen here (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="listen here (default: 8000)")
    serve.add_argument("--polling", action="store_true", help="read updates by getUpdates")
    serve.add_argument("--no-access-log", action="store_true", help="no line per request")
    serve.set_defaults(handler=_serve)

    migrate = _add_command(commands, "migrate", "bring the database schema up to date")
    migrate.set_defaults(handler=_migrate)

    hook = _add_command(commands, "webhook", "register the webhook with Telegram")
    hook.add_argument(
        "action",
        choices=["set", "delete", "info"],
        help="set: register TGPASS_PUBLIC_URL; delete: remove it; info: show what is set",
    )
    hook.set_defaults(handler=_webhook)

    demo = _add_command(
        commands,
        "demo",
        "the main job: the service on an offline Telegram, its data kept in .demo/ between runs",
    )
    demo.add_argument(
        "--port",
        "--site-port",
        type=int,
        default=None,
        help="the site's port (default: 8000; with --check, a free one)",
    )
    demo.add_argument(
        "--sandbox-port",
        type=int,
        default=None,
        help="the sandbox phone's port (default: 8081; with --check, a free one)",
    )
    demo.add_argument(
        "--check",
        action="store_true",
        help="walk the main path once on its own ports and data, then exit",
    )
    demo.add_argument(
        "--fresh",
        action="store_true",
        help="start over: forget the accounts, links and chats kept in .demo/ by the last run",
    )
    demo.set_defaults(handler=_demo)

    from .oidc_cli import add_commands as add_oidc_commands
    from .webhooks_cli import add_commands as add_webhooks_commands
    from .worker_cli import add_commands  # light: the service loads only when a command runs

    add_commands(commands, _add_command)
    add_oidc_commands(commands, _add_command)
    add_webhooks_commands(commands, _add_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        result = handler(args)
    except TgpassError as error:
        print(json.dumps(error.to_dict(), ensure_ascii=False))
        return 1
    except CannotStart as error:
        print(f"tgpass {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    if isinstance(result, str):
        print(result)
    elif result is not None:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    # run as tgpass.cli, not __main__, so that commands share this module's classes
    from tgpass.cli import main as cli_main

    sys.exit(cli_main())
