"""tgpass as an OpenID provider: the use cases, the protocol adapter over Authlib's server,
the claims, client registration, signing keys and the store's port."""

from .claims import ChatsOf, no_chats
from .service import OidcProvider
from .store import Lifetimes, OidcStore

__all__ = ["ChatsOf", "Lifetimes", "OidcProvider", "OidcStore", "no_chats"]
