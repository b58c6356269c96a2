"""TelegramBackend: one Django user per Telegram user, made once, found again by id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.test import Client
from django.utils import timezone

from tgpass.integrations._core import TelegramIdentity
from tgpass.integrations.django.backends import TelegramBackend
from tgpass.integrations.django.models import TelegramAccount

from .signed import USER, init_data, tma

User = get_user_model()


def identity(telegram_id: int = 5_000_000_001, **fields: Any) -> TelegramIdentity:
    values: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": "ada",
        "language_code": None,
        "photo_url": None,
        "scheme": "tma",
        "bot_id": 123456789,
        **fields,
    }
    return TelegramIdentity(telegram_id=telegram_id, **values)


def test_the_first_request_makes_the_user_and_the_second_finds_it() -> None:
    client = Client()
    first = client.get("/me/", headers={"Authorization": tma(init_data())})
    second = client.get("/me/", headers={"Authorization": tma(init_data())})
    assert first.json()["user"] == second.json()["user"] == "tg5000000001"
    assert User.objects.count() == 1
    account = TelegramAccount.objects.get()
    assert (account.telegram_id, account.username) == (USER["id"], "ada")
    assert account.user.get_username() == "tg5000000001"


def test_a_new_user_has_telegrams_names_and_no_usable_password() -> None:
    user = authenticate(None, telegram=identity())
    assert user is not None
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert not user.has_usable_password()
    assert user.backend == "tgpass.integrations.django.backends.TelegramBackend"


def test_the_user_is_found_by_telegram_id_not_by_username() -> None:
    first = authenticate(None, telegram=identity(username="ada"))
    # Telegram usernames change hands: someone else now calls themselves "ada"
    other = authenticate(None, telegram=identity(7, username="ada"))
    renamed = authenticate(None, telegram=identity(username="countess"))
    assert first is not None and other is not None
    assert first.pk == renamed.pk != other.pk
    assert TelegramAccount.objects.get(telegram_id=5_000_000_001).username == "countess"


def test_two_requests_making_the_same_user_end_with_one() -> None:
    """The request that loses the race on the unique Telegram id takes the winner's user."""
    winner = authenticate(None, telegram=identity())
    # the loser looked before the winner wrote, so it goes straight to making the user
    loser = TelegramBackend().create_user(None, identity())
    assert loser.pk == winner.pk
    assert (User.objects.count(), TelegramAccount.objects.count()) == (1, 1)


def test_a_taken_username_gets_an_unguessable_suffix() -> None:
    User.objects.create_user("tg5000000001")  # a site user, not this Telegram user
    user = authenticate(None, telegram=identity())
    assert user is not None
    name = user.get_username()
    assert name.startswith("tg5000000001_")
    assert len(name) == len("tg5000000001_") + 8
    assert TelegramAccount.objects.get().user == user


def test_long_names_are_cut_to_the_user_models_fields() -> None:
    user = authenticate(None, telegram=identity(first_name="A" * 200, last_name=None))
    assert user.first_name == "A" * User._meta.get_field("first_name").max_length
    assert user.last_name == ""


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    authenticate(None, telegram=identity())
    account = TelegramAccount.objects.get()
    earlier = account.last_seen - timedelta(seconds=30)
    TelegramAccount.objects.update(last_seen=earlier)
    authenticate(None, telegram=identity())
    assert TelegramAccount.objects.get().last_seen == earlier
    TelegramAccount.objects.update(last_seen=earlier - timedelta(minutes=1))
    authenticate(None, telegram=identity())
    assert TelegramAccount.objects.get().last_seen > earlier
    assert TelegramAccount.objects.get().last_seen <= timezone.now()


def test_a_site_may_let_in_only_users_it_already_knows() -> None:
    class KnownOnly(TelegramBackend):
        create_unknown_user = False

    assert KnownOnly().authenticate(None, telegram=identity()) is None
    assert User.objects.count() == 0
    made = TelegramBackend().authenticate(None, telegram=identity())
    assert KnownOnly().authenticate(None, telegram=identity()) == made


def test_other_credentials_are_not_this_backends() -> None:
    assert TelegramBackend().authenticate(None) is None
    assert TelegramBackend().authenticate(None, telegram={"id": 1}) is None  # type: ignore[arg-type]
    assert authenticate(None, username="tg1", password="x") is None


def test_get_user_gives_active_users_only() -> None:
    user = authenticate(None, telegram=identity())
    backend = TelegramBackend()
    assert backend.get_user(user.pk) == user
    assert backend.get_user(user.pk + 1) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.get_user(user.pk) is None
    assert authenticate(None, telegram=identity()) is None


def test_deleting_the_user_deletes_its_telegram_account() -> None:
    user = authenticate(None, telegram=identity())
    user.delete()
    assert TelegramAccount.objects.count() == 0
    again = authenticate(None, telegram=identity())
    assert again is not None and again.pk != user.pk
