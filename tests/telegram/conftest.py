"""The shared harness's fixtures, and every object a sandbox emits checked by aiogram and PTB."""

from tests.harness.stack import stack  # noqa: F401
from tests.sandbox.conformance import telegram_conformance  # noqa: F401
