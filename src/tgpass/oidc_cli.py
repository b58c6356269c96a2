"""The OpenID provider's commands: ``tgpass oidc add-client | clients | rotate-keys | purge``.
Imported only when used; they need the database (``TGPASS_DATABASE_URL``), not Telegram."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:  # the service loads only when a command runs
    from .service.oidc.provider.service import OidcProvider


def add_commands(commands: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``oidc`` and its actions on the CLI's sub-parsers (``add`` makes one)."""
    oidc = add(commands, "oidc", "The OpenID Connect provider: clients and signing keys.")
    actions = oidc.add_subparsers(dest="action", required=True, metavar="ACTION")

    client = add(
        actions,
        "add-client",
        "Register an application that signs its users in here; prints its id and secret.",
    )
    client.add_argument("--name", required=True, help="shown to users on the consent page")
    client.add_argument(
        "--redirect-uri",
        action="append",
        required=True,
        metavar="URI",
        help="where users come back with a code, matched exactly (repeatable)",
    )
    client.add_argument(
        "--public",
        action="store_true",
        help="a mobile or browser app: no secret, PKCE (S256) required",
    )
    client.add_argument(
        "--post-logout-redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="where users may be sent after signing out (repeatable)",
    )
    client.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="a scope it may ask for (repeatable; default: all)",
    )
    client.add_argument(
        "--alg", choices=["RS256", "ES256"], default="RS256", help="how its ID tokens are signed"
    )
    client.set_defaults(handler=_add_client)

    listed = add(actions, "clients", "List the registered applications (no secrets).")
    listed.set_defaults(handler=_clients)

    rotate = add(
        actions,
        "rotate-keys",
        "New signing keys sign from now on; the old ones stay published until the tokens they "
        "signed have expired, and are dropped at a later rotation.",
    )
    rotate.set_defaults(handler=_rotate_keys)

    purge = add(actions, "purge", "Forget expired codes and tokens.")
    purge.set_defaults(handler=_purge)


def _with_provider(work: Callable[[OidcProvider], Awaitable[Any]]) -> Any:
    from .bootstrap import make_oidc_provider, sql_stores

    settings = Settings.from_env()

    async def run() -> Any:
        stores = await sql_stores(settings)
        try:
            return await work(make_oidc_provider(settings, stores.oidc, stores.accounts))
        finally:
            await stores.accounts.close()  # and with it the database's connections

    return asyncio.run(run())


def _add_client(args: argparse.Namespace) -> Any:
    async def work(provider: OidcProvider) -> Any:
        made = await provider.register_client(
            args.name,
            args.redirect_uri,
            public=args.public,
            post_logout_redirect_uris=args.post_logout_redirect_uri,
            scopes=args.scope,
            id_token_alg=args.alg,
        )
        return made.to_dict()

    return _with_provider(work)


def _clients(args: argparse.Namespace) -> Any:
    async def work(provider: OidcProvider) -> Any:
        return [
            {
                "client_id": c.client_id,
                "name": c.name,
                "public": c.public,
                "redirect_uris": list(c.redirect_uris),
                "post_logout_redirect_uris": list(c.post_logout_redirect_uris),
                "scopes": sorted(c.scopes),
                "id_token_signed_response_alg": c.id_token_alg,
            }
            for c in await provider.clients()
        ]

    return _with_provider(work)


def _rotate_keys(args: argparse.Namespace) -> Any:
    async def work(provider: OidcProvider) -> Any:
        done = await provider.rotate_keys()
        return {
            "signers": list(done.signers),
            "retired": list(done.retired),
            "retired_published_until": done.published_until,
            "dropped": list(done.dropped),
        }

    return _with_provider(work)


def _purge(args: argparse.Namespace) -> Any:
    async def work(provider: OidcProvider) -> Any:
        return {"deleted": await provider.purge()}

    return _with_provider(work)
