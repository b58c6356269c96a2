"""Registering relying parties: the rules on their names, redirect URIs and scopes.

Redirect URIs are matched exactly later, so they are checked once, here (RFC 6749 §3.1.2,
RFC 8252 §7): absolute, no fragment, no credentials; ``https``; ``http`` only to a loopback
address; a private-use scheme (reverse domain name, ``com.example.app:/cb``) only for a
public client (a native app).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tgpass.domain.accounts import storable
from tgpass.errors import InvalidInput
from tgpass.service.oidc.provider.claims import SCOPES
from tgpass.service.oidc.provider.keys import DEFAULT_ALG, SIGNING_ALGORITHMS
from tgpass.service.oidc.provider.store import OidcClient, secret_hash

MAX_URI = 1000
MAX_URIS = 20
MAX_NAME = 128


@dataclass(frozen=True, slots=True)
class NewClient:
    """A client just registered, with its secret: shown once, kept only as a hash."""

    client: OidcClient
    secret: str | None

    def to_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"client_id": self.client.client_id}
        if self.secret is not None:
            found["client_secret"] = self.secret
        return found


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_redirect_uri(uri: str, *, public: bool, field: str = "redirect_uris") -> str:
    shown = {"uri": repr(uri[:80])}
    storable(uri, field)
    if not uri or len(uri) > MAX_URI:
        raise InvalidInput(
            "redirect URI {uri}: 1-{most} characters",
            field=field,
            values={**shown, "most": MAX_URI},
        )
    if any(c.isspace() or ord(c) < 0x20 or c in "\\<>\"'" for c in uri):
        raise InvalidInput(
            "redirect URI {uri}: holds a character a URI cannot", field=field, values=shown
        )
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise InvalidInput("redirect URI {uri}: not a URI", field=field, values=shown) from None
    if parts.fragment or "#" in uri:
        raise InvalidInput(
            "redirect URI {uri}: a redirect URI has no fragment", field=field, values=shown
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "redirect URI {uri}: a redirect URI carries no credentials", field=field, values=shown
        )
    scheme = parts.scheme
    if scheme in {"https", "http"}:
        if not host:
            raise InvalidInput("redirect URI {uri}: no host", field=field, values=shown)
        if scheme == "http" and not _loopback(host):
            raise InvalidInput(
                "redirect URI {uri}: http only to a loopback address (127.0.0.1, [::1], localhost)",
                field=field,
                values=shown,
            )
        return uri
    if not scheme or "." not in scheme:
        raise InvalidInput(
            "redirect URI {uri}: not https, and not a private-use scheme"
            " (com.example.app:/callback)",
            field=field,
            values=shown,
        )
    if not public:
        raise InvalidInput(
            "redirect URI {uri}: a private-use scheme is for public (native) clients",
            field=field,
            values=shown,
        )
    return uri


def checked_name(name: str) -> str:
    name = " ".join(storable(name, "name").split())
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(
            "a client name is 1-{most} characters", field="name", values={"most": MAX_NAME}
        )
    return name


def checked_scopes(scopes: Iterable[str] | None) -> frozenset[str]:
    if scopes is None:
        return frozenset(SCOPES)
    found = frozenset(scopes)
    unknown = sorted(found - set(SCOPES))
    if unknown:
        raise InvalidInput(
            "unknown scopes: {scopes}", field="scopes", values={"scopes": ", ".join(unknown)}
        )
    if "openid" not in found:
        raise InvalidInput("a client's scopes include openid", field="scopes")
    return found


def _uris(uris: Iterable[str], *, public: bool, field: str, required: bool) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(checked_redirect_uri(u, public=public, field=field) for u in uris))
    if required and not found:
        raise InvalidInput("give at least one redirect URI", field=field)
    if len(found) > MAX_URIS:
        raise InvalidInput("at most {most} URIs", field=field, values={"most": MAX_URIS})
    return found


def new_client(
    name: str,
    redirect_uris: Iterable[str],
    *,
    public: bool = False,
    post_logout_redirect_uris: Iterable[str] = (),
    scopes: Iterable[str] | None = None,
    id_token_alg: str = DEFAULT_ALG,
    now: float,
) -> NewClient:
    """A client with a fresh id (and, unless public, a fresh secret)."""
    if id_token_alg not in SIGNING_ALGORITHMS:
        raise InvalidInput(
            "id_token_signed_response_alg is one of {algorithms}",
            field="id_token_signed_response_alg",
            values={"algorithms": ", ".join(SIGNING_ALGORITHMS)},
        )
    secret = None if public else secrets.token_urlsafe(32)
    client = OidcClient(
        client_id=secrets.token_urlsafe(18),
        name=checked_name(name),
        secret_hash=None if secret is None else secret_hash(secret),
        redirect_uris=_uris(redirect_uris, public=public, field="redirect_uris", required=True),
        post_logout_redirect_uris=_uris(
            post_logout_redirect_uris,
            public=public,
            field="post_logout_redirect_uris",
            required=False,
        ),
        scopes=checked_scopes(scopes),
        id_token_alg=id_token_alg,
        created_at=now,
    )
    return NewClient(client, secret)
