"""The edge's checks on their own: a path's UTF-8 and the headers added to pages."""

from __future__ import annotations

import pytest

from tgpass.web.edge import utf8_path, with_page_headers


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        (b"/api/me", True),
        (b"/api/users/%C3%A9", True),
        (b"/api/users/\xc3\xa9", True),  # sent unescaped
        (b"/api/users/%FF%FE", False),
        (b"/api/users/\xff\xfe", False),  # sent unescaped: no % to look for
    ],
)
def test_a_path_must_be_utf8_escaped_or_not(raw: bytes, valid: bool) -> None:
    assert utf8_path({"raw_path": raw, "path": ""}) is valid


def test_only_html_answers_get_the_page_headers() -> None:
    scope = {"path": "/account"}
    json_headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    assert with_page_headers(scope, json_headers) is json_headers
    assert with_page_headers(scope, []) == []
    page = with_page_headers(scope, [(b"Content-Type", b"TEXT/HTML; charset=utf-8")])
    assert (b"x-frame-options", b"DENY") in page
    assert (b"cache-control", b"no-store") in page
    kept = with_page_headers(
        scope, [(b"content-type", b"text/html"), (b"cache-control", b"max-age=60")]
    )
    assert [value for name, value in kept if name == b"cache-control"] == [b"max-age=60"]
