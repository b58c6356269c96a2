"""Secrets and one-time codes never reach the logs.

Bot API URLs carry the bot token, sign-in URLs carry one-time codes, and a failing statement
could carry a password hash or an event endpoint's secret: the access log keeps only paths,
and any token-, hash- or secret-shaped string left in a record (its message, its arguments,
its traceback) is masked.
"""

from __future__ import annotations

import logging
import re

_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_PASSWORD_HASH = re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9+/=,$]*")
_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")
_QUERY = re.compile(r"\?\S*")


def redact(text: str) -> str:
    """``text`` with bot tokens, password hashes and event endpoints' secrets masked."""
    text = _BOT_TOKEN.sub("<bot-token>", text)
    text = _WEBHOOK_SECRET.sub("<webhook-secret>", text)
    return _PASSWORD_HASH.sub("<password-hash>", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _QUERY.sub("?…", redact(a)) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters print exc_text when set: the traceback, masked, replaces the original.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class RedactLines(RedactSecrets):
    """For a handler: the line as it will be printed, masked whole (a token may be split
    between a message and its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        record.msg, record.args = redact(record.getMessage()), None
        return True


def install() -> None:
    """Attach the filter where URLs are logged; keep chatty libraries above DEBUG."""
    redact_secrets = RedactSecrets()
    # (A logger's filters see only the records logged to it, not to its children.)
    for name in (
        "uvicorn.access",
        "uvicorn.error",
        "httpx",
        "telegram",
        "tgpass",
        "tgpass.web",
        "sqlalchemy.engine",
        "sqlalchemy.pool",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(redact_secrets)
    # These log whole requests at DEBUG (update texts with link codes, sign-in URLs, SQL
    # parameters, response headers: a Location with a code, a Set-Cookie with a session;
    # Authlib: issued tokens, the PKCE verifier) and request URLs at INFO (the bot token):
    # never below these levels.
    for name, level in (
        ("httpx", logging.WARNING),
        ("httpcore", logging.INFO),
        ("authlib", logging.INFO),
        ("telegram", logging.INFO),
        ("aiosqlite", logging.INFO),
    ):
        logging.getLogger(name).setLevel(level)
