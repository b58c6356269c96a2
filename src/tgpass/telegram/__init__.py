"""The Bot API adapter, on python-telegram-bot: sending, reading updates, webhook, polling."""
