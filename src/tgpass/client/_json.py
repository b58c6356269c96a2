"""Reading the API's JSON answers into typed values: each documented field checked for its
type, anything else in the object ignored (a newer service may add fields)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Malformed(ValueError):
    """An answer's JSON lacks a documented field, or holds one of another type."""


class Fields:
    """One JSON object of an answer; each getter names the field it reads."""

    __slots__ = ("_data", "_where")

    def __init__(self, data: object, where: str = "the answer") -> None:
        if not isinstance(data, Mapping):
            raise Malformed(f"{where} is not a JSON object")
        self._data: Mapping[str, Any] = data
        self._where = where

    def _get(self, key: str) -> Any:
        if key not in self._data:
            raise Malformed(f"{self._where} has no {key!r}")
        return self._data[key]

    def _wrong(self, key: str, kind: str) -> Malformed:
        return Malformed(f"{self._where}: {key!r} is not {kind}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self._data.get(key) is None else self.text(key)

    def integer(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self._data.get(key) is None else self.integer(key)

    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._wrong(key, "a number")
        return float(value)

    def opt_number(self, key: str) -> float | None:
        return None if self._data.get(key) is None else self.number(key)

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(key, "a list of strings")
        return tuple(value)

    def opt_texts(self, key: str) -> tuple[str, ...] | None:
        return None if self._data.get(key) is None else self.texts(key)

    def obj(self, key: str) -> Fields:
        return Fields(self._get(key), f"{self._where}.{key}")

    def opt_obj(self, key: str) -> Fields | None:
        return None if self._data.get(key) is None else self.obj(key)

    def objs(self, key: str) -> list[Fields]:
        return items(self._get(key), f"{self._where}.{key}")


def items(data: object, where: str = "the answer") -> list[Fields]:
    """A JSON array of objects."""
    if not isinstance(data, list):
        raise Malformed(f"{where} is not a JSON array")
    return [Fields(item, f"{where}[{i}]") for i, item in enumerate(data)]
