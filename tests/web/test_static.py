"""The package's static files under /static: the staff pages' shared script and stylesheet
are served (and shipped in the package), each staff page loads the script before its own, and
a path that names no file there, or climbs out of the folder, is a 404, never another file."""

from __future__ import annotations

import hashlib
import re
from importlib.resources import files

import pytest

from tests.harness.pagesite import PageSite
from tgpass.web.static_files import static_url, version_of

STAFF_PAGES = ["/admin", "/admin/chats", "/admin/webhooks"]


async def staff(site: PageSite) -> None:
    await site.register("boss")
    boss = await site.services.accounts.find_user(username="boss")
    assert boss is not None
    await site.services.accounts.update_user(boss.id, role="staff")


def test_the_shared_files_ship_in_the_package() -> None:
    static = files("tgpass.web").joinpath("static")
    assert "function keepCurrent" in static.joinpath("admin.js").read_text()
    assert "border-collapse" in static.joinpath("admin.css").read_text()


@pytest.mark.parametrize(
    ("name", "types"),
    [("admin.js", ("text/javascript", "application/javascript")), ("admin.css", ("text/css",))],
)
async def test_the_shared_files_are_served_as_what_they_are(
    site: PageSite, name: str, types: tuple[str, ...]
) -> None:
    answer = await site.web.get(f"/static/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(types)
    assert answer.text == files("tgpass.web").joinpath("static", name).read_text()


@pytest.mark.parametrize("path", ["/admin/chats", "/admin/webhooks"])
async def test_the_staff_tables_share_one_stylesheet(site: PageSite, path: str) -> None:
    await staff(site)
    page = (await site.web.get(path)).text
    assert page.count(f'<link rel="stylesheet" href="{static_url("admin.css")}">') == 1
    assert "border-collapse" not in page  # the tables' look is the stylesheet's alone


@pytest.mark.parametrize("path", STAFF_PAGES)
async def test_each_staff_page_loads_the_script_before_its_own(site: PageSite, path: str) -> None:
    await staff(site)
    page = (await site.web.get(path)).text
    scripts = re.findall(r"<script( src=\"[^\"]+\")?>", page)
    assert scripts == [f' src="{static_url("admin.js")}"', ""], scripts
    own = page.split(f'<script src="{static_url("admin.js")}"></script>', 1)[1]
    assert "const csrf" not in own and "setInterval(poll" not in own


@pytest.mark.parametrize(
    "path",
    [
        "/static/nothing.js",
        "/static/",  # a folder is not listed
        "/static/%2e%2e/app.py",  # tgpass/web/app.py, one level up: the client sends it as it is
        "/static/%2e%2e/%2e%2e/settings.py",
    ],
)
async def test_a_path_that_names_no_static_file_is_not_found(site: PageSite, path: str) -> None:
    answer = await site.web.get(path)
    assert answer.request.url.raw_path.decode() == path  # not tidied away before it was sent
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found"), path


@pytest.mark.parametrize("name", ["admin.js", "admin.css"])
async def test_a_file_at_its_versioned_address_is_kept_and_otherwise_checked(
    site: PageSite, name: str
) -> None:
    content = files("tgpass.web").joinpath("static", name).read_bytes()
    assert static_url(name) == f"/static/{name}?v={version_of(name)}"
    assert version_of(name) == hashlib.sha256(content).hexdigest()[:12]
    kept = await site.web.get(static_url(name))
    assert kept.headers["cache-control"] == "public, max-age=31536000, immutable"
    for other in (f"/static/{name}", f"/static/{name}?v=0123456789ab"):  # an old release's
        checked = await site.web.get(other)
        assert (checked.status_code, checked.content) == (200, content)
        assert checked.headers["cache-control"] == "no-cache"
        assert "etag" in checked.headers
