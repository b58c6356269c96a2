"""The client's retries, errors and progress watch, against an httpx MockTransport that
answers what each test scripts: 503 then 200, 429 with Retry-After, a connection that
fails. The waits go to a recording ``sleep``, so nothing here sleeps."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from tgpass.client import (
    NO_RETRY,
    ApiError,
    AsyncClient,
    Client,
    IdempotencyMismatch,
    InvalidRequest,
    NetworkError,
    ProgressTimeout,
    RequestConflict,
    ResourceNotFound,
    RetryPolicy,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnexpectedResponse,
)
from tgpass.client._retry import retry_after_of
from tgpass.errors import AuthError, Conflict, InvalidInput, NotFound, RateLimited, Unavailable

BASE = "https://tgpass.example.org"
KEY = "site-key-1"
USER = {
    "site_user_id": "42",
    "user": {
        "id": 7,
        "display_name": "Ann",
        "username": None,
        "site_user_id": "42",
        "role": "member",
        "karma": 3,
    },
    "linked": False,
    "telegram": None,
}
QUEUED = {"id": "ntf_abc", "status": "queued"}
Answer = httpx.Response | Exception


def error(status: int, code: str, message: str = "no", **extra: Any) -> httpx.Response:
    headers = extra.pop("headers", {})
    body = {"error": {"code": code, "message": message, **extra}}
    return httpx.Response(status, json=body, headers=headers)


class Script:
    """Answers each request with the next of ``answers`` (an exception is raised as the
    transport's failure), recording the requests."""

    def __init__(self, *answers: Answer) -> None:
        self.answers: Iterator[Answer] = iter(answers)
        self.requests: list[httpx.Request] = []
        self.slept: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self, retry: RetryPolicy | None = None) -> Client:
        return Client(
            BASE,
            KEY,
            transport=httpx.MockTransport(self),
            retry=retry,
            sleep=self.slept.append,
            jitter=random.Random(0),
        )

    def async_client(self, retry: RetryPolicy | None = None) -> AsyncClient:
        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)

        return AsyncClient(
            BASE,
            KEY,
            transport=httpx.MockTransport(self),
            retry=retry,
            sleep=sleep,
            jitter=random.Random(0),
        )

    def keys(self) -> list[str | None]:
        return [r.headers.get("Idempotency-Key") for r in self.requests]


def test_a_read_answered_503_is_sent_again_and_gives_the_second_answer() -> None:
    script = Script(error(503, "unavailable"), httpx.Response(200, json=USER))
    with script.client() as tgpass:
        found = tgpass.get_user("42")
    assert found.user.karma == 3 and found.linked is False
    assert [r.url.path for r in script.requests] == ["/api/site/users/42"] * 2
    assert len(script.slept) == 1 and 0.25 <= script.slept[0] <= 0.5  # the first backoff
    sent = script.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["User-Agent"].startswith("tgpass-client/")


def test_a_notification_keeps_its_idempotency_key_through_503_and_429() -> None:
    script = Script(
        error(503, "unavailable"),
        error(429, "rate_limited", headers={"Retry-After": "2"}),
        httpx.Response(202, json=QUEUED),
    )
    with script.client() as tgpass:
        queued = tgpass.notify("42", "Your order shipped")
    assert queued.id == "ntf_abc" and queued.replayed is False
    keys = script.keys()
    assert len(keys) == 3 and keys[0] is not None and keys.count(keys[0]) == 3
    assert script.slept[1] == 2.0  # what Retry-After asked, not the backoff
    assert all(
        json.loads(r.content) == {"text": "Your order shipped", "disable_notification": False}
        for r in script.requests
    )


def test_each_notification_has_a_key_of_its_own_and_a_given_key_is_sent_as_it_is() -> None:
    script = Script(
        httpx.Response(202, json=QUEUED),
        httpx.Response(202, json=QUEUED),
        httpx.Response(202, json={"id": "ntf_b", "recipients": 0}),
    )
    with script.client() as tgpass:
        tgpass.notify("42", "one")
        tgpass.notify("42", "two")
        tgpass.broadcast("three", roles=["customer"], idempotency_key="order-17-shipped")
    first, second, given = script.keys()
    assert first != second
    assert given == "order-17-shipped"
    assert json.loads(script.requests[2].content)["audience"] == {
        "user_ids": None,
        "roles": ["customer"],
        "min_karma": None,
    }


def test_a_post_without_an_idempotency_key_is_never_sent_twice() -> None:
    for answer in (
        error(503, "unavailable"),
        error(429, "rate_limited"),
        httpx.ReadTimeout("slow"),
    ):
        script = Script(answer, httpx.Response(200, json={"url": "u", "expires_at": 1.0}))
        with (
            script.client() as tgpass,
            pytest.raises((ServiceUnavailable, TooManyRequests, NetworkError)),
        ):
            tgpass.create_link("42")
        assert len(script.requests) == 1 and script.slept == []


def test_a_connection_never_made_is_tried_again_whatever_the_method() -> None:
    script = Script(
        httpx.ConnectError("refused"), httpx.Response(200, json={"url": "u", "expires_at": 1.0})
    )
    with script.client() as tgpass:
        assert tgpass.create_link("42").url == "u"
    assert len(script.requests) == 2


def test_a_read_with_no_answer_is_tried_again_then_a_network_error() -> None:
    script = Script(*[httpx.ReadTimeout("slow")] * 3)
    with script.client() as tgpass, pytest.raises(NetworkError) as raised:
        tgpass.list_chats()
    assert len(script.requests) == 3
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)


def test_attempts_are_bounded_and_the_waits_grow_with_jitter() -> None:
    script = Script(*[error(503, "unavailable", headers={"Retry-After": "x"})] * 5)
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=3.0)
    with script.client(policy) as tgpass, pytest.raises(ServiceUnavailable) as raised:
        tgpass.list_webhooks()
    assert len(script.requests) == 5
    ceilings = [1.0, 2.0, 3.0, 3.0]  # doubling, capped
    assert len(script.slept) == 4
    for waited, ceiling in zip(script.slept, ceilings, strict=True):
        assert ceiling / 2 <= waited <= ceiling
    assert len(set(script.slept)) == 4  # the jitter spreads them
    assert raised.value.status == 503 and raised.value.code == "unavailable"
    assert raised.value.retry_after is None  # "x" is no number of seconds
    assert isinstance(raised.value, Unavailable)


def test_a_retry_after_longer_than_the_policy_waits_is_raised_at_once() -> None:
    script = Script(error(429, "rate_limited", headers={"Retry-After": "120"}))
    with script.client() as tgpass, pytest.raises(TooManyRequests) as raised:
        tgpass.get_user("42")
    assert raised.value.retry_after == 120.0 and isinstance(raised.value, RateLimited)
    assert len(script.requests) == 1 and script.slept == []


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    answer = httpx.Response(503, headers={"Retry-After": later})
    assert retry_after_of(answer, now=now.timestamp()) == 30.0
    past = httpx.Response(503, headers={"Retry-After": format_datetime(now, usegmt=True)})
    assert retry_after_of(past, now=now.timestamp() + 5) == 0.0
    assert retry_after_of(httpx.Response(503, headers={"Retry-After": "nan"})) is None


def test_no_retry_means_one_attempt() -> None:
    script = Script(error(503, "unavailable"))
    with script.client(NO_RETRY) as tgpass, pytest.raises(ServiceUnavailable):
        tgpass.get_user("42")
    assert len(script.requests) == 1
    with pytest.raises(ValueError, match="one attempt"):
        RetryPolicy(attempts=0)


@pytest.mark.parametrize(
    ("answer", "kind", "also"),
    [
        (error(401, "unauthorized"), Unauthorized, AuthError),
        (error(404, "not_found"), ResourceNotFound, NotFound),
        (error(409, "not_linked"), RequestConflict, Conflict),
        (error(409, "idempotency_mismatch"), IdempotencyMismatch, Conflict),
        (error(422, "invalid_input", field="role"), InvalidRequest, InvalidInput),
        (error(413, "too_large"), InvalidRequest, ValueError),
        (error(500, "internal_error"), ServerError, ApiError),
        (httpx.Response(502, text="<html>bad gateway</html>"), ServerError, ApiError),
        (httpx.Response(418), ApiError, Exception),
    ],
)
def test_each_error_answer_is_its_class_of_the_tree(
    answer: httpx.Response, kind: type[ApiError], also: type[Exception]
) -> None:
    script = Script(answer)
    with script.client(NO_RETRY) as tgpass, pytest.raises(kind) as raised:
        tgpass.get_user("42")
    assert type(raised.value) is kind and isinstance(raised.value, also)
    assert raised.value.status == answer.status_code
    if answer.headers.get("content-type") == "application/json":
        assert raised.value.code == answer.json()["error"]["code"]
        assert raised.value.message == "no"
    else:
        assert raised.value.code == f"http_{answer.status_code}"


def test_a_validation_error_names_its_field_from_the_details() -> None:
    details = [{"field": "display_name", "message": "String should have at least 1 character"}]
    script = Script(error(422, "invalid_input", details=details))
    with script.client() as tgpass, pytest.raises(InvalidRequest) as raised:
        tgpass.upsert_user("42", display_name="")
    assert raised.value.field == "display_name"
    assert raised.value.details == tuple(details)
    assert len(script.requests) == 1  # a 4xx is final, even for a PUT


@pytest.mark.parametrize(
    "body",
    [
        {"id": "ntf_1"},  # no status
        {"id": 5, "status": "queued"},  # an id that is no string
        ["not", "an", "object"],
    ],
)
def test_an_answer_without_its_documented_fields_is_unexpected(body: Any) -> None:
    script = Script(httpx.Response(202, json=body))
    with script.client() as tgpass, pytest.raises(UnexpectedResponse) as raised:
        tgpass.notify("42", "hi")
    assert raised.value.status == 202


def test_unknown_fields_are_ignored() -> None:
    script = Script(
        httpx.Response(202, json={**QUEUED, "eta": 3}, headers={"Idempotent-Replayed": "true"})
    )
    with script.client() as tgpass:
        queued = tgpass.notify("42", "hi")
    assert queued.replayed is True and queued.id == "ntf_abc"


def test_a_site_user_id_is_one_path_segment_whatever_it_holds() -> None:
    script = Script(httpx.Response(200, json=USER))
    with script.client() as tgpass:
        tgpass.get_user("a/b?c d")
    assert script.requests[0].url.raw_path == b"/api/site/users/a%2Fb%3Fc%20d"


def test_secrets_stay_out_of_reprs() -> None:
    made = {
        "id": 1,
        "url": "https://shop.example.org/hook",
        "events": ["account.linked"],
        "description": "",
        "enabled": True,
        "disabled_reason": None,
        "failing_since": None,
        "previous_secret_until": None,
        "created_at": 1.0,
        "secret": "whsec_c2VjcmV0LXNlY3JldA==",
    }
    script = Script(httpx.Response(201, json=made))
    with script.client() as tgpass:
        endpoint = tgpass.add_webhook(made["url"])
        assert endpoint.secret == made["secret"]
        assert "whsec_" not in repr(endpoint)
        assert KEY not in repr(tgpass)


def status(state: str, **counts: int) -> httpx.Response:
    numbers = {"queued": 0, "sending": 0, "sent": 0, "failed": 0, "unreachable": 0, **counts}
    body = {"id": "ntf_b", "kind": "broadcast", "status": state, "recipients": 3, "created_at": 1.0}
    return httpx.Response(200, json={**body, **numbers})


def test_progress_is_read_until_done() -> None:
    script = Script(
        status("queued", queued=3), status("sending", sending=2, sent=1), status("done", sent=3)
    )
    with script.client() as tgpass:
        seen = list(tgpass.iter_progress("ntf_b", interval=0.25))
    assert [s.status for s in seen] == ["queued", "sending", "done"]
    assert [s.settled for s in seen] == [0, 1, 3] and seen[-1].done
    assert script.slept == [0.25, 0.25]


def test_a_wait_that_runs_out_says_where_the_notification_stands() -> None:
    script = Script(status("sending", sending=3))
    with script.client() as tgpass, pytest.raises(ProgressTimeout) as raised:
        tgpass.wait_for_notification("ntf_b", timeout=0)
    assert isinstance(raised.value, TimeoutError)
    assert "0 of 3 settled" in str(raised.value)


async def test_the_async_client_retries_alike() -> None:
    script = Script(
        error(503, "unavailable"),
        error(429, "rate_limited", headers={"Retry-After": "1"}),
        httpx.Response(202, json={"id": "ntf_b", "recipients": 3}),
        error(503, "unavailable"),
        status("sending", sending=3),
        status("done", sent=3),
    )
    async with script.async_client() as tgpass:
        accepted = await tgpass.broadcast("Meetup", min_karma=100)
        with pytest.raises(ServiceUnavailable):
            await tgpass.update_webhook(1, enabled=False)  # a PATCH: not repeated
        done = await tgpass.wait_for_notification(accepted.id, interval=0.1)
    assert accepted.recipients == 3 and done.sent == 3
    keys = script.keys()
    assert keys[0] is not None and keys[:3] == [keys[0]] * 3 and keys[3] is None
    assert script.slept[1:] == [1.0, 0.1]
    assert json.loads(script.requests[3].content) == {"enabled": False}


async def test_the_async_client_does_not_repeat_a_post_without_a_key() -> None:
    script = Script(error(502, "bad_gateway"))
    async with script.async_client() as tgpass:
        with pytest.raises(ServerError):
            await tgpass.rotate_webhook_secret(1)
    assert len(script.requests) == 1 and script.slept == []
