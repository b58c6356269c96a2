"""Outgoing messages and the rules of their delivery, pure: what a site may send, and what
each outcome of a send makes of an outbox row."""

from __future__ import annotations

import json
import random

import pytest

from tgpass.domain.delivery import (
    FINAL,
    MAX_ERROR,
    STATES,
    Button,
    NewMessage,
    OutboxItem,
    OutgoingMessage,
    RetryPolicy,
    Settlement,
    checked_message,
    settle,
)
from tgpass.errors import (
    ChatMigrated,
    InvalidInput,
    RecipientUnavailable,
    TelegramError,
    TelegramRateLimited,
    TelegramRefused,
    TelegramTransient,
)

NOW = 1000.0


def refusal(**kwargs: object) -> InvalidInput:
    text = kwargs.pop("text", "hello")
    with pytest.raises(InvalidInput) as caught:
        checked_message(text, **kwargs)  # type: ignore[arg-type]
    return caught.value


# -- messages ------------------------------------------------------------------------------------


def test_states() -> None:
    assert STATES == ("queued", "sending", "sent", "failed", "unreachable")
    assert frozenset({"sent", "failed", "unreachable"}) == FINAL


def test_a_button_gives_only_its_target() -> None:
    assert Button("Open", url="https://x").to_dict() == {"text": "Open", "url": "https://x"}
    assert Button("Go", callback_data="c").to_dict() == {"text": "Go", "callback_data": "c"}
    assert Button("In", login_url="l").to_dict() == {"text": "In", "login_url": "l"}
    assert Button("App", web_app_url="w").to_dict() == {"text": "App", "web_app_url": "w"}


def test_a_message_round_trips_through_json() -> None:
    message = OutgoingMessage(
        "Привет <b>!</b>",
        "MarkdownV2",
        (
            (Button("a", url="https://a"), Button("b", callback_data="b")),
            (Button("c", url="tg://c"),),
        ),
        disable_notification=True,
    )
    raw = message.to_json()
    assert "Привет" in raw  # stored as text, not \\u escapes
    assert json.loads(raw) == {
        "text": "Привет <b>!</b>",
        "parse_mode": "MarkdownV2",
        "buttons": [
            [{"text": "a", "url": "https://a"}, {"text": "b", "callback_data": "b"}],
            [{"text": "c", "url": "tg://c"}],
        ],
        "disable_notification": True,
    }
    assert OutgoingMessage.from_json(raw) == message
    plain = OutgoingMessage("x", None)
    assert OutgoingMessage.from_json(plain.to_json()) == plain
    assert OutgoingMessage.from_json('{"text": "y"}') == OutgoingMessage("y", None, (), False)
    assert OutgoingMessage.from_json('{"text": "y", "buttons": null}').buttons == ()


def test_defaults() -> None:
    message = OutgoingMessage("x")
    assert (message.parse_mode, message.buttons, message.disable_notification) == (
        "HTML",
        (),
        False,
    )
    new = NewMessage(1, message)
    assert (new.user_id, new.notification_id, new.state, new.last_error) == (
        None,
        None,
        "queued",
        None,
    )


def test_a_checked_message() -> None:
    message = checked_message(
        "hi",
        parse_mode=None,
        buttons=[
            [{"text": "Open", "url": "https://example.org"}],
            [{"text": "b", "url": "tg://x"}],
        ],
        disable_notification=True,
    )
    assert message == OutgoingMessage(
        "hi",
        None,
        ((Button("Open", url="https://example.org"),), (Button("b", url="tg://x"),)),
        True,
    )
    assert checked_message("x" * 4096).text == "x" * 4096
    assert checked_message("hi") == OutgoingMessage("hi", "HTML", (), False)
    assert checked_message("hi", parse_mode="MarkdownV2").parse_mode == "MarkdownV2"
    assert checked_message("hi", buttons=[]).buttons == ()
    http = checked_message("hi", buttons=[[{"text": "x" * 64, "url": "http://" + "a" * 2041}]])
    assert http.buttons[0][0].text == "x" * 64


@pytest.mark.parametrize("text", ["", "   ", "\n", "x" * 4097])
def test_text_must_be_1_to_4096_characters(text: str) -> None:
    error = refusal(text=text)
    assert (error.field, error.message) == ("text", "text is 1-4096 characters")


def test_parse_mode_is_html_or_markdown_v2() -> None:
    for mode in ("Markdown", "html", ""):
        error = refusal(parse_mode=mode)
        assert (error.field, error.message) == ("parse_mode", "parse_mode is HTML or MarkdownV2")


@pytest.mark.parametrize(
    ("buttons", "message"),
    [
        ([[]], "a row has 1-8 buttons"),
        ([[{"text": "b", "url": "https://x"}] * 9], "a row has 1-8 buttons"),
        ([[{"url": "https://x"}]], "a button's text is 1-64 characters"),
        ([[{"text": "x" * 65, "url": "https://x"}]], "a button's text is 1-64 characters"),
        ([[{"text": "b"}]], "a button's url is an http(s) or tg:// URL"),
        (
            [[{"text": "b", "url": "javascript:alert(1)"}]],
            "a button's url is an http(s) or tg:// URL",
        ),
        (
            [[{"text": "b", "url": "https://" + "a" * 2041}]],
            "a button's url is an http(s) or tg:// URL",
        ),
        ([[{"text": "b", "url": "https://x"}]] * 101, "at most 100 rows of buttons"),
    ],
)
def test_buttons_telegram_would_refuse(buttons: list[list[dict[str, str]]], message: str) -> None:
    error = refusal(buttons=buttons)
    assert (error.field, error.message) == ("buttons", message)


def test_limits_of_buttons_are_inclusive() -> None:
    eight = [[{"text": "b", "url": "https://x"}] * 8]
    assert len(checked_message("hi", buttons=eight).buttons[0]) == 8
    hundred = [[{"text": "b", "url": "https://x"}]] * 100
    assert len(checked_message("hi", buttons=hundred).buttons) == 100
    url = "https://" + "a" * 2040
    assert checked_message("hi", buttons=[[{"text": "b", "url": url}]]).buttons[0][0].url == url


# -- settling a send ---------------------------------------------------------------------------


def item(attempts: int = 0, deadline: float = NOW + 3600) -> OutboxItem:
    return OutboxItem(
        id=9,
        chat_id=7,
        message=OutgoingMessage("hi"),
        state="sending",
        attempts=attempts,
        available_at=NOW,
        deadline=deadline,
        created_at=NOW - 1,
    )


def fixed_policy() -> RetryPolicy:
    return RetryPolicy(rng=random.Random(1))


def test_sent() -> None:
    assert settle(item(), 555, now=NOW, policy=fixed_policy()) == Settlement(
        9, "sent", message_id=555, available_at=NOW
    )


def test_blocked_or_deactivated_is_unreachable() -> None:
    outcome = RecipientUnavailable("Forbidden: bot was blocked by the user")
    assert settle(item(), outcome, now=NOW, policy=fixed_policy()) == Settlement(
        9,
        "unreachable",
        error="RecipientUnavailable: Forbidden: bot was blocked by the user",
        available_at=NOW,
    )


def test_a_migrated_chat_is_queued_again_for_the_new_chat_without_an_attempt() -> None:
    result = settle(item(), ChatMigrated(-100777), now=NOW, policy=fixed_policy())
    assert result == Settlement(
        9,
        "queued",
        attempted=False,
        error="ChatMigrated: the chat migrated to -100777",
        available_at=NOW,
        chat_id=-100777,
    )


def test_rate_limited_waits_without_an_attempt() -> None:
    outcome = TelegramRateLimited("Too Many Requests", retry_after=17)
    result = settle(item(attempts=3), outcome, now=NOW, policy=fixed_policy())
    assert result == Settlement(
        9,
        "queued",
        attempted=False,
        error="TelegramRateLimited: Too Many Requests",
        available_at=NOW + 17,
    )


def test_refused_is_a_dead_letter() -> None:
    result = settle(item(), TelegramRefused("chat not found"), now=NOW, policy=fixed_policy())
    assert result == Settlement(
        9, "failed", error="TelegramRefused: chat not found", available_at=NOW
    )


def test_transient_is_retried_with_backoff() -> None:
    policy = fixed_policy()
    expected_delay = RetryPolicy(rng=random.Random(1)).delay(2)
    result = settle(item(attempts=2), TelegramTransient("Bad Gateway"), now=NOW, policy=policy)
    assert result == Settlement(
        9,
        "queued",
        attempted=True,
        error="TelegramTransient: Bad Gateway",
        available_at=NOW + expected_delay,
    )
    assert 1.0 <= expected_delay <= 2.0


def test_transient_past_the_deadline_gives_up() -> None:
    result = settle(
        item(deadline=NOW + 0.1), TelegramTransient("Bad Gateway"), now=NOW, policy=fixed_policy()
    )
    assert result == Settlement(
        9, "failed", error="gave up: TelegramTransient: Bad Gateway", available_at=NOW
    )


def test_retrying_exactly_at_the_deadline_is_still_allowed() -> None:
    policy = RetryPolicy(base=1.0, cap=1.0, rng=random.Random(0))
    delay = RetryPolicy(base=1.0, cap=1.0, rng=random.Random(0)).delay(0)
    result = settle(item(deadline=NOW + delay), TelegramTransient("x"), now=NOW, policy=policy)
    assert result.state == "queued"


@pytest.mark.parametrize("outcome", [RuntimeError("boom"), TelegramError("odd"), ValueError()])
def test_an_unexpected_error_is_a_dead_letter(outcome: Exception) -> None:
    result = settle(item(), outcome, now=NOW, policy=fixed_policy())
    assert result.state == "failed"
    assert result.error == f"gave up: unexpected: {type(outcome).__name__}: {outcome}"
    assert result.available_at == NOW
    assert result.attempted


def test_errors_are_cut_to_their_column() -> None:
    result = settle(item(), TelegramRefused("x" * 1000), now=NOW, policy=fixed_policy())
    assert result.error is not None
    assert len(result.error) == MAX_ERROR
    assert result.error.startswith("TelegramRefused: xxx")


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [
        (0, 0.25, 0.5),
        (1, 0.5, 1.0),
        (2, 1.0, 2.0),
        (5, 8.0, 16.0),
        (6, 15.0, 30.0),
        (40, 15.0, 30.0),
    ],
)
def test_backoff_doubles_up_to_the_cap(attempts: int, low: float, high: float) -> None:
    policy = RetryPolicy()
    delays = [policy.delay(attempts) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert max(delays) > (low + high) / 2 > min(delays)  # spread over the range: jitter


def test_backoff_of_a_huge_attempt_count_does_not_overflow() -> None:
    assert 15.0 <= RetryPolicy().delay(10**6) <= 30.0
    assert RetryPolicy(base=2.0, cap=1000.0).delay(3) >= 8.0
    assert RetryPolicy() == RetryPolicy(rng=random.Random(5))  # the generator is not compared


# -- equivalent mutants ----------------------------------------------------------------------
#
# make mutate MUTATE_ONLY='src/tgpass/domain/*' MUTATE_TESTS='tests/domain': 506 mutants,
# 502 killed, these 4 survive (one in test_pacing.py's module, pacing.limits_for):
# * OutgoingMessage.to_json: ``ensure_ascii=None``: None is false, as False is.
# * checked_message: ``cell.get("url", "XXXX")``: a missing url is refused either way, with the
#   same message, since neither "" nor "XXXX" starts with http(s):// or tg://.
# * RetryPolicy.delay: ``2 ** min(attempts, 31)`` instead of 30: the exponent only guards
#   against overflow; both ceilings are above ``cap`` unless ``base`` is below cap / 2**30
#   (28 ns for the default 30 s cap), which no policy uses.
# * pacing.limits_for: ``Limit(bot_rate)`` instead of ``Limit(bot_rate, 1)``: 1 is the default.
