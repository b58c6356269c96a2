"""Django and Django REST framework: who a request's Telegram user is, as a Django user.

Add ``"tgpass.integrations.django"`` to ``INSTALLED_APPS``, the bots to ``settings.TGPASS``
(``BOT_TOKENS``, ``BOT_IDS``, ``MAX_AGE``, ``SIGNATURE``, ``LOGIN_CLIENT_IDS``), then:

- ``middleware.TelegramMiddleware``: ``request.telegram``, the verified identity or None
  (``request.telegram_error`` says why); it never answers by itself
- ``backends.TelegramBackend``: a Django user per Telegram user, made on first sight and
  found again through ``models.TelegramAccount``
- ``decorators.telegram_required``: a view only a Telegram user may call (401 JSON otherwise)
- ``rest_framework.TelegramAuthentication``: the same for Django REST framework
- ``views.telegram_login_view``: the Login Widget's or a LoginUrl button's callback
- ``admin``: the Telegram accounts in Django's admin, when the site has it

``manage.py check`` says when ``TGPASS`` cannot be used or no ``TelegramBackend`` is set.

This module imports nothing, so Django can load the app before its models are ready.
"""
