"""Reading Bot API parameters as Telegram does: JSON bodies, or form fields whose objects
arrive JSON-encoded, with Telegram's 400 answers for what does not fit."""

from __future__ import annotations

import json
from typing import Any

from .errors import bad_request


class Params:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        if isinstance(value, bool | dict | list):
            raise bad_request(f'field "{name}" must be of type String')
        return str(value)

    def number(
        self, name: str, *, required: bool = False, default: int | None = None
    ) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def obj(self, name: str) -> Any:
        """An object or array: given as JSON in a form field, or as such in a JSON body."""
        value = self.values.get(name)
        if value is None or isinstance(value, dict | list):
            return value
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value in (None, ""):
            raise bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value)
        if text.lstrip("-").isdigit():
            return int(text)
        if text.startswith("@"):
            return text
        raise bad_request("chat not found")
