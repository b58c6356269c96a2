"""The FastAPI app: JSON API, pages, the Telegram webhook, errors mapped to HTTP."""
