"""Use cases: domain rules combined with ports (storage, Telegram, clock)."""
