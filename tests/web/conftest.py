"""The shared harness's fixtures, and every object a sandbox emits checked by aiogram and PTB.
``site`` is a page site (tests/harness/pagesite.py) unless a module has its own."""

from tests.harness.pagesite import site  # noqa: F401
from tests.harness.stack import stack  # noqa: F401
from tests.sandbox.conformance import telegram_conformance  # noqa: F401
