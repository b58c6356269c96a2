"""The Telegram account of a Django user: the table ``tgpass_telegramaccount``."""

# ruff: noqa: RUF012 (class-level lists are the format Django writes and reads migrations in)

import django.db.models.deletion  # type: ignore[import-untyped]
import django.utils.timezone  # type: ignore[import-untyped]
from django.conf import settings  # type: ignore[import-untyped]
from django.db import migrations, models


class Migration(migrations.Migration):  # type: ignore[misc]
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TelegramAccount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("telegram_id", models.BigIntegerField(unique=True)),
                ("username", models.CharField(blank=True, default="", max_length=64)),
                (
                    "first_seen",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("last_seen", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="telegram_account",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "Telegram account",
            },
        ),
    ]
