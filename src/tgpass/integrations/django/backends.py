"""``TelegramBackend``: the Django user of a Telegram user, made the first time they come."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model  # type: ignore[import-untyped]
from django.contrib.auth.backends import BaseBackend  # type: ignore[import-untyped]
from django.core.exceptions import FieldDoesNotExist  # type: ignore[import-untyped]
from django.db import IntegrityError, transaction  # type: ignore[import-untyped]
from django.utils import timezone  # type: ignore[import-untyped]

from tgpass.integrations._core import TelegramIdentity

from .models import TelegramAccount

# A Telegram account's last_seen is written at most this often, not on every request.
LAST_SEEN_EVERY = timedelta(minutes=1)
# Attempts at a free username when tg<id> is taken by a user who is not this Telegram user.
USERNAME_ATTEMPTS = 4


class TelegramBackend(BaseBackend):  # type: ignore[misc]
    """``authenticate(request, telegram=identity)`` gives the identity's Django user.

    The user is found by Telegram id (``TelegramAccount``), never by username, which Telegram
    users change and reuse. One not seen before gets a new user (``create_unknown_user``):
    username ``tg<id>``, Telegram's first and last name, an unusable password. Two requests
    creating the same user at once end with one: the unique Telegram id decides, and the
    loser takes the winner's user. Inactive users are refused, as Django's own backend does.

    Subclass to change who gets in: ``create_unknown_user = False`` lets in only users
    already linked; ``configure_user`` fills in a new user before it is saved.
    """

    create_unknown_user = True

    def authenticate(self, request: Any, telegram: TelegramIdentity | None = None) -> Any:
        if not isinstance(telegram, TelegramIdentity):
            return None
        user = self.user_of(request, telegram)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = model._default_manager.get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user: Any) -> bool:
        return getattr(user, "is_active", True) is not False

    # -- finding and making users -------------------------------------------------------------

    def user_of(self, request: Any, identity: TelegramIdentity) -> Any:
        """The identity's user: found, made (when allowed), or None."""
        account = _account(identity.telegram_id)
        if account is not None:
            _seen(account, identity)
            return account.user
        if not self.create_unknown_user:
            return None
        return self.create_user(request, identity)

    def create_user(self, request: Any, identity: TelegramIdentity) -> Any:
        """A new user and its ``TelegramAccount``, or the user a concurrent request made."""
        for name in _usernames(identity.telegram_id):
            try:
                with transaction.atomic():
                    user = self._new_user(request, identity, name)
                    TelegramAccount.objects.create(
                        user=user,
                        telegram_id=identity.telegram_id,
                        username=identity.username or "",
                    )
                    return user
            except IntegrityError:
                # Either this Telegram user was just made by another request, or the name
                # belongs to someone else: the first means done, the second try another name.
                account = _account(identity.telegram_id)
                if account is not None:
                    return account.user
        raise IntegrityError(f"no free username for Telegram user {identity.telegram_id}")

    def configure_user(self, request: Any, user: Any, identity: TelegramIdentity) -> Any:
        """Fill in a new user before it is saved (names copied from Telegram by default)."""
        _set_within(user, "first_name", identity.first_name)
        _set_within(user, "last_name", identity.last_name or "")
        return user

    def _new_user(self, request: Any, identity: TelegramIdentity, username: str) -> Any:
        model = get_user_model()
        user = model(**{model.USERNAME_FIELD: username})
        user.set_unusable_password()
        user = self.configure_user(request, user, identity)
        user.save()
        return user


def _account(telegram_id: int) -> TelegramAccount | None:
    try:
        found: TelegramAccount = TelegramAccount.objects.select_related("user").get(
            telegram_id=telegram_id
        )
    except TelegramAccount.DoesNotExist:
        return None
    return found


def _seen(account: TelegramAccount, identity: TelegramIdentity) -> None:
    """Keep the account's username and last visit current, writing at most once a minute."""
    now = timezone.now()
    username = identity.username or ""
    if account.username == username and now - account.last_seen < LAST_SEEN_EVERY:
        return
    TelegramAccount.objects.filter(pk=account.pk).update(username=username, last_seen=now)
    account.username, account.last_seen = username, now


def _usernames(telegram_id: int) -> list[str]:
    """``tg<id>``, then the same with an unguessable suffix, so nobody can squat them all."""
    plain = f"tg{telegram_id}"
    return [plain, *(f"{plain}_{secrets.token_hex(4)}" for _ in range(USERNAME_ATTEMPTS - 1))]


def _set_within(user: Any, field_name: str, value: str) -> None:
    """Set a text field the user model has, cut to its length; skip a field it lacks."""
    try:
        field = user._meta.get_field(field_name)
    except FieldDoesNotExist:  # a custom user model without names
        return
    limit = getattr(field, "max_length", None)
    setattr(user, field_name, value[:limit] if limit else value)
