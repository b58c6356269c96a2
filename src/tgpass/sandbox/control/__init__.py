"""The users' side as a JSON API under ``/sandbox/api``: build a world, act as its users,
set limits and faults. Tests, the phone page and the demo all go through it.

One router per area, each a function of the server's ``SandboxState``; ``sandbox/app.py``
mounts them all under ``/sandbox/api``:

- ``info``: what a client needs to know of the sandbox (its key, issuer, limits, bots);
- ``accounts``: the people in the world;
- ``bots``: the bots in the world;
- ``login``: Telegram Login, a bot's client settings, the signing keys, a user's answer;
- ``chats``: groups and channels, their members and bots;
- ``users``: what a user does (open a link, press Start, write, press a button, join...);
- ``inbox``: what a user has (chat list, a dialog, messages received, a button's answer);
- ``limits``: Telegram's flood limits;
- ``faults``: failures and latency on demand.

Their errors are answered in one place, ``sandbox/http_errors.py``."""
