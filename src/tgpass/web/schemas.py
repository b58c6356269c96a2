"""Request and response bodies of the JSON API (and so its OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic_core
from pydantic import AfterValidator, BaseModel, Field

from tgpass.domain.accounts import TelegramLink, User, storable


def _storable(text: str) -> str:
    return storable(text, "the text")  # an InvalidInput is a ValueError: a validation error


Text = Annotated[str, AfterValidator(_storable)]
"""A string every backend stores as given: no NUL, no lone surrogate."""


class UserOut(BaseModel):
    id: int
    display_name: str
    username: str | None
    site_user_id: str | None
    role: str
    karma: int

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(**user_fields(user))


def user_fields(user: User) -> dict[str, Any]:
    """``UserOut``'s fields, for the model and for ``me_json``."""
    return {
        "id": user.id,
        "display_name": user.display_name,
        "username": user.username,
        "site_user_id": user.site_user_id,
        "role": user.role,
        "karma": user.karma,
    }


class TelegramOut(BaseModel):
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    photo_url: str | None
    can_message: bool = Field(description="The user has started the bot and not blocked it.")
    phone_number: str | None
    linked_at: float

    @classmethod
    def of(cls, link: TelegramLink | None) -> TelegramOut | None:
        return None if link is None else cls(**telegram_fields(link))


def telegram_fields(link: TelegramLink) -> dict[str, Any]:
    """``TelegramOut``'s fields, for the model and for ``me_json``."""
    p = link.profile
    return {
        "id": p.telegram_id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "username": p.username,
        "photo_url": p.photo_url,
        "can_message": link.chat_id is not None and not link.bot_blocked,
        "phone_number": link.phone_number,
        "linked_at": link.linked_at.timestamp(),
    }


class MeOut(BaseModel):
    user: UserOut
    telegram: TelegramOut | None
    source: str = Field(description="How this request was signed in.")
    language: str | None = Field(
        None, description="The language the person chose for the pages (null: none chosen)."
    )


def me_json(user: User, link: TelegramLink | None, source: str) -> bytes:
    """``MeOut`` as JSON from the same fields, without validating again what the stores
    checked: the call a Mini App makes most, several microseconds cheaper."""
    telegram = None if link is None else telegram_fields(link)
    return pydantic_core.to_json(
        {
            "user": user_fields(user),
            "telegram": telegram,
            "source": source,
            "language": user.language,
        }
    )


class SignedIn(BaseModel):
    user: UserOut
    source: str
    csrf_token: str | None = Field(
        None, description="Send as X-CSRF-Token with cookie-authenticated writes."
    )


class Register(BaseModel):
    username: Text = Field(max_length=64)
    password: Text = Field(max_length=256)
    display_name: Text | None = Field(None, max_length=128)


class Login(BaseModel):
    username: Text = Field(max_length=64)
    password: Text = Field(max_length=256)


class SetPassword(BaseModel):
    password: Text = Field(max_length=256, description="The new password (8 characters or more).")
    username: Text | None = Field(
        None,
        max_length=64,
        description="Needed when the account has no username (one made with Telegram).",
    )
    current_password: Text | None = Field(
        None, max_length=256, description="Needed to change a password the account has."
    )


class MiniAppLogin(BaseModel):
    init_data: Text = Field(max_length=8192)


class LinkOfferOut(BaseModel):
    url: str
    expires_at: float
    qr_svg: str = Field(description="The link as a QR code, an SVG document.")


class PendingLink(BaseModel):
    expires_at: float = Field(description="When the account's live link code stops working.")


class LinkStatus(BaseModel):
    linked: bool
    telegram: TelegramOut | None
    pending: PendingLink | None = Field(
        None, description="The one live link code, if any (a new one replaces it)."
    )


class SiteUserIn(BaseModel):
    display_name: Text = Field(min_length=1, max_length=128)
    role: Text = Field("member", max_length=32)
    karma: int = Field(0, ge=-(2**62), le=2**62)


class SiteUserOut(BaseModel):
    site_user_id: str
    user: UserOut
    linked: bool
    telegram: TelegramOut | None


class SiteLinkOut(BaseModel):
    url: str
    expires_at: float


class Done(BaseModel):
    ok: bool = True
