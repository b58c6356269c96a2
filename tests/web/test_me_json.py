"""``GET /api/me`` is written from the model's fields without the model: the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tgpass.domain.accounts import TelegramLink, TelegramProfile, User
from tgpass.web.schemas import MeOut, TelegramOut, UserOut, me_json

USER = User(7, 'Зоя "🚀"', "zoya", "site-7", "staff", -3, 0, datetime(2026, 1, 2, tzinfo=UTC))
PROFILE = TelegramProfile(
    telegram_id=2**40, first_name="Зоя", last_name=None, username="zoya", photo_url=None
)
LINKED = TelegramLink(7, PROFILE, 2**40, "+15550001", False, datetime(2026, 1, 3, tzinfo=UTC))
BLOCKED = TelegramLink(7, PROFILE, 2**40, None, True, datetime(2026, 1, 3, tzinfo=UTC))


@pytest.mark.parametrize("link", [LINKED, BLOCKED, None])
def test_me_json_is_what_the_model_would_write(link: TelegramLink | None) -> None:
    model = MeOut(user=UserOut.of(USER), telegram=TelegramOut.of(link), source="miniapp")
    assert me_json(USER, link, "miniapp") == model.model_dump_json().encode()
