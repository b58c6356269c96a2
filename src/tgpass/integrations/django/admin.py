"""The Telegram accounts in Django's admin, when the site has it: found by id or username,
never edited by hand (the id is what Telegram signed)."""

from __future__ import annotations

from django.contrib import admin  # type: ignore[import-untyped]

from .models import TelegramAccount


@admin.register(TelegramAccount)
class TelegramAccountAdmin(admin.ModelAdmin):  # type: ignore[misc]
    list_display = ("telegram_id", "username", "user", "first_seen", "last_seen")
    search_fields = ("=telegram_id", "username", "user__username")
    readonly_fields = ("telegram_id", "username", "first_seen", "last_seen")
    raw_id_fields = ("user",)
    ordering = ("-last_seen",)
