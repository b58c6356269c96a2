"""Watching what the sandbox emits: every update queued for a bot, every Bot API answer.

An observer is called with ``(kind, obj)``:

- ``("update", update)`` when an update is queued for a bot (before getUpdates or a webhook
  hands it over);
- ``(method, result)`` when a Bot API call succeeds, ``method`` as the client spelt it
  (``"sendMessage"``, ``"getChatMember"``, ...), ``result`` the ``result`` of the answer;
- ``("error", envelope)`` when a call fails, ``envelope`` the whole
  ``{"ok": false, "error_code": ..., "description": ..., "parameters": ...}``.

Observers see the objects the sandbox keeps and must not change them. Tests use this to parse
everything the sandbox says with the client libraries' models (``tests/sandbox/conformance.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Observer = Callable[[str, Any], None]

# Observers of every world in the process: a test plugin checks all sandboxes, however built.
_EVERY_WORLD: list[Observer] = []


class Observers:
    """The observers of one world, plus those of every world."""

    __slots__ = ("_own",)

    def __init__(self, own: Observer | None = None) -> None:
        self._own: list[Observer] = [own] if own is not None else []

    def add(self, observer: Observer) -> None:
        self._own.append(observer)

    def remove(self, observer: Observer) -> None:
        self._own.remove(observer)

    def emit(self, kind: str, obj: Any) -> None:
        if not self._own and not _EVERY_WORLD:
            return  # the usual case, kept to one test
        for observer in (*_EVERY_WORLD, *self._own):
            observer(kind, obj)


@contextmanager
def observing_every_world(observer: Observer) -> Iterator[Observer]:
    """Call ``observer`` for what any world emits while the block runs."""
    _EVERY_WORLD.append(observer)
    try:
        yield observer
    finally:
        _EVERY_WORLD.remove(observer)
