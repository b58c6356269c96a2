"""How tgpass's processes log: every line with its time, level and logger name, on stderr,
for tgpass's own loggers and uvicorn's alike (``tgpass serve``, ``tgpass worker``...)."""

from __future__ import annotations

import logging.config
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` (uvicorn takes it as ``log_config``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"format": FORMAT}},
        # on the handler, so that every record is masked, whichever logger it came from
        "filters": {"redact": {"()": "tgpass.web.logs.RedactLines"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "filters": ["redact"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's own, which it would otherwise give handlers of its own format
        "loggers": {
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig(config(level))
