"""Whether a command can start: what stops it is said in one line (exit code 2), before any
server tries and fails with a traceback."""

from __future__ import annotations

import errno
import os
import socket


class CannotStart(Exception):
    """A command cannot start for a reason the user can fix: one line on stderr, exit code 2."""

    exit_code = 2


def ensure_free(host: str, port: int, option: str) -> None:
    """Raise ``CannotStart`` unless ``host:port`` can be listened on (before any server tries)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as error:
        raise CannotStart(f"cannot listen on {host}: {error}") from None
    with socket.socket(family, kind, proto) as probe:
        if os.name != "nt":  # as uvicorn binds: a port left in TIME_WAIT is free, a listener not
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno in {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)}:
                raise CannotStart(
                    f"port {port} is in use: stop the other program or pass {option}"
                ) from None
            raise CannotStart(f"cannot listen on {host}:{port}: {error.strerror}") from None
