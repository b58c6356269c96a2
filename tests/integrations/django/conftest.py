"""Django for this directory only: configured when pytest first imports this file.

``settings.configure`` rather than ``DJANGO_SETTINGS_MODULE``: no environment variable leaks
into other tests or the processes they start. Each pytest-xdist worker is its own process,
so each has its own in-memory database, migrated once.
"""

from __future__ import annotations

from collections.abc import Iterator

import django
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from . import settings

if not django_settings.configured:
    django_settings.configure(**settings.values())
    django.setup()


@pytest.fixture(scope="session", autouse=True)
def _migrated() -> None:
    call_command("migrate", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _empty_database(_migrated: None) -> Iterator[None]:
    """Each test leaves no rows behind: deleted, not a rolled-back transaction, since async
    views run on another thread with a connection of their own. (``flush`` would do it too,
    ten times slower, remaking every permission.)"""
    yield
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session

    from tgpass.integrations.django.models import TelegramAccount

    for model in (TelegramAccount, Session, get_user_model()):
        model.objects.all().delete()
