"""The Django settings of these tests: a site with sessions, DRF and one test bot."""

from __future__ import annotations

from tgpass.testing import TEST_BOT_TOKEN

# A second bot the site does not serve: its data must be refused.
OTHER_BOT_TOKEN = "987654321:AAother-bot-token_not-a-real-bot"

SECRET_KEY = "tgpass-django-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "site.example"]
USE_TZ = True
ROOT_URLCONF = "tests.integrations.django.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "tgpass.integrations.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tgpass.integrations.django.middleware.TelegramMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "tgpass.integrations.django.backends.TelegramBackend",
]
# Shared-cache memory: the threads async views run in see the same database.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "file:tgpass-django-tests?mode=memory&cache=shared",
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
LOGIN_REDIRECT_URL = "/home/"
TGPASS = {"BOT_TOKENS": [TEST_BOT_TOKEN], "MAX_AGE": 3600}
REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}


def values() -> dict[str, object]:
    """Every setting above, for ``settings.configure``."""
    return {name: value for name, value in globals().items() if name.isupper()}
