"""Secrets and one-time codes never reach the logs.

Bot API URLs carry the bot token, and sign-in URLs carry one-time codes: the access log keeps
only paths, and any token-shaped string left in a record is masked.
"""

from __future__ import annotations

import logging
import re

_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_QUERY = re.compile(r"\?\S*")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _QUERY.sub("?…", _BOT_TOKEN.sub("<bot-token>", a)) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _BOT_TOKEN.sub("<bot-token>", record.msg)
        return True


def install() -> None:
    """Attach the filter where URLs are logged; keep chatty libraries above DEBUG."""
    redact = RedactSecrets()
    for name in ("uvicorn.access", "uvicorn.error", "httpx", "telegram", "tgpass"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(redact)
    # These log whole requests at DEBUG (update texts with link codes, sign-in URLs, SQL
    # parameters) and request URLs at INFO (the bot token): never below these levels.
    for name, level in (
        ("httpx", logging.WARNING),
        ("telegram", logging.INFO),
        ("aiosqlite", logging.INFO),
    ):
        logging.getLogger(name).setLevel(level)
