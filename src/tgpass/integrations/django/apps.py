"""The Django app: its label, and the checks and signals it registers once Django is ready."""

from __future__ import annotations

from django.apps import AppConfig  # type: ignore[import-untyped]


class TgpassConfig(AppConfig):  # type: ignore[misc]
    name = "tgpass.integrations.django"
    # The package's last name is "django": a label of its own keeps tables and migrations
    # clear of anything else called that.
    label = "tgpass"
    verbose_name = "Telegram sign-in (tgpass)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import setting_changed  # type: ignore[import-untyped]

        from . import checks, conf  # noqa: F401 (checks register themselves)

        setting_changed.connect(conf.forget_on_change, dispatch_uid="tgpass-settings")
