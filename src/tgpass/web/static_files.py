"""The package's static files under /static, addressed by their content: a page links
``/static/admin.js?v=<hash>`` (``static_url``), which browsers may keep for a year, since
the next release's file has another address; any other request of the file is checked with
the server each time (its ETag), so nobody runs yesterday's script against today's page."""

from __future__ import annotations

import functools
import hashlib
from importlib.resources import files
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PACKAGE = ("tgpass.web", "static")
KEPT = "public, max-age=31536000, immutable"
CHECKED = "no-cache"


@functools.cache
def version_of(name: str) -> str:
    """The first 12 hex digits of the file's SHA-256; empty for a file that is not there."""
    path = files(PACKAGE[0]).joinpath(PACKAGE[1], *name.split("/"))
    if not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """Where a page finds a static file: its address with the content's version."""
    return f"/static/{name}?v={version_of(name)}"


class VersionedStatic(StaticFiles):
    def __init__(self) -> None:
        super().__init__(packages=[PACKAGE])

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v")
            current = asked == [version_of(path)]
            response.headers["Cache-Control"] = KEPT if current else CHECKED
        return response
