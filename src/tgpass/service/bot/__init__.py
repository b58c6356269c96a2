"""The bot: one unit of work per update (dispatch, dedupe, dead letters, replies through the
outbox) and everything it says. Features register on it from their own packages (linking in
``accounts``, gating in ``gating``)."""

from .core import BotService, Feature, Turn
from .texts import COMMANDS, SiteUrls, Texts, command_menus

__all__ = [
    "COMMANDS",
    "BotService",
    "Feature",
    "SiteUrls",
    "Texts",
    "Turn",
    "command_menus",
]
