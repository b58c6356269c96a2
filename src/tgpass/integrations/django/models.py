"""Which Django user is which Telegram user: one row per Telegram account, found by its id."""

from __future__ import annotations

from django.conf import settings  # type: ignore[import-untyped]
from django.db import models  # type: ignore[import-untyped]
from django.utils import timezone  # type: ignore[import-untyped]


class TelegramAccount(models.Model):  # type: ignore[misc]
    """A Django user's Telegram account. The id is the key: usernames change and are reused."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_account"
    )
    # Telegram user ids exceed 2**32.
    telegram_id = models.BigIntegerField(unique=True)
    username = models.CharField(max_length=64, blank=True, default="")
    first_seen = models.DateTimeField(default=timezone.now, editable=False)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Telegram account"

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else f"Telegram user {self.telegram_id}"
