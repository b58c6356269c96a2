"""Know who a request's Telegram user is, in the web framework you already run.

A Mini App sends its init data as ``Authorization: tma <initData>`` (the convention of the
Telegram Mini Apps documentation); a site using Telegram Login may send the ID token as
``Authorization: Bearer <id_token>``. Each module below turns that header into a verified
``TelegramIdentity``, or a 401 with ``{"error": {"code": ..., "message": ...}}``.

- ``tgpass.integrations.fastapi``: dependencies, shown in OpenAPI as security schemes
- ``tgpass.integrations.starlette``: an ``AuthenticationBackend``
- ``tgpass.integrations.litestar``: an authentication middleware
- ``tgpass.integrations.aiohttp``: a middleware and a decorator
- ``tgpass.integrations.flask``: an extension and a decorator
- ``tgpass.integrations.django``: a middleware, a backend, Django REST framework

Each needs its framework (``pip install "tgpass[<framework>]"``); this package imports none
of them. What they share, framework-free, is in ``_core`` (``Authenticator``,
``TelegramIdentity``, ``NotAuthenticated``), and each module re-exports it.
"""
