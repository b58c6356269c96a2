"""An offline Telegram: the Bot API for bots, simulated users for people and tests."""

from .errors import BotApiError
from .world import World

__all__ = ["BotApiError", "World"]
