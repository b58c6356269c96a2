"""What the site API answers, as frozen dataclasses: only the fields the API documents,
each read with its type checked. Secrets (an endpoint's ``whsec_…``, an OpenID client's
secret) are left out of ``repr``, so printing a result never logs one."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Final, Literal, TypedDict

from ._json import Fields


class _Unset(Enum):
    missing = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.missing
"""A field left as it is by an update (where ``None`` means something: every event type)."""
Unset = Literal[_Unset.missing]


# -- users --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User:
    """A tgpass account: ``id`` is tgpass's, ``site_user_id`` the site's own."""

    id: int
    display_name: str
    username: str | None
    site_user_id: str | None
    role: str
    karma: int

    @classmethod
    def of(cls, f: Fields) -> User:
        return cls(
            id=f.integer("id"),
            display_name=f.text("display_name"),
            username=f.opt_text("username"),
            site_user_id=f.opt_text("site_user_id"),
            role=f.text("role"),
            karma=f.integer("karma"),
        )


@dataclass(frozen=True, slots=True)
class TelegramAccount:
    """The Telegram account linked to a user; ``can_message``: the bot may write to them."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None
    photo_url: str | None
    can_message: bool
    phone_number: str | None
    linked_at: float

    @classmethod
    def of(cls, f: Fields) -> TelegramAccount:
        return cls(
            id=f.integer("id"),
            first_name=f.text("first_name"),
            last_name=f.opt_text("last_name"),
            username=f.opt_text("username"),
            photo_url=f.opt_text("photo_url"),
            can_message=f.flag("can_message"),
            phone_number=f.opt_text("phone_number"),
            linked_at=f.number("linked_at"),
        )


@dataclass(frozen=True, slots=True)
class SiteUser:
    """A site's user as tgpass knows them, and their Telegram link (``None``: not linked)."""

    site_user_id: str
    user: User
    linked: bool
    telegram: TelegramAccount | None

    @classmethod
    def of(cls, f: Fields) -> SiteUser:
        telegram = f.opt_obj("telegram")
        return cls(
            site_user_id=f.text("site_user_id"),
            user=User.of(f.obj("user")),
            linked=f.flag("linked"),
            telegram=None if telegram is None else TelegramAccount.of(telegram),
        )


@dataclass(frozen=True, slots=True)
class LinkOffer:
    """A one-time ``t.me`` link for the site to show its user; opening it links them."""

    url: str
    expires_at: float

    @classmethod
    def of(cls, f: Fields) -> LinkOffer:
        return cls(url=f.text("url"), expires_at=f.number("expires_at"))


# -- notifications ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Button:
    """A URL button under a message."""

    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Queued:
    """A notification to one user, accepted; ``replayed``: the Idempotency-Key had been
    seen with this body, and this is the first answer again (nothing more is sent)."""

    id: str
    status: str
    replayed: bool = False

    @classmethod
    def of(cls, f: Fields, *, replayed: bool) -> Queued:
        return cls(id=f.text("id"), status=f.text("status"), replayed=replayed)


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A notification to an audience, accepted for ``recipients`` linked users."""

    id: str
    recipients: int
    replayed: bool = False

    @classmethod
    def of(cls, f: Fields, *, replayed: bool) -> Broadcast:
        return cls(id=f.text("id"), recipients=f.integer("recipients"), replayed=replayed)


@dataclass(frozen=True, slots=True)
class MessageState:
    """One user's notification: its message's state, attempts and last error."""

    state: str
    attempts: int
    last_error: str | None
    sent_at: float | None

    @classmethod
    def of(cls, f: Fields) -> MessageState:
        return cls(
            state=f.text("state"),
            attempts=f.integer("attempts"),
            last_error=f.opt_text("last_error"),
            sent_at=f.opt_number("sent_at"),
        )


IN_FLIGHT: Final = frozenset({"queued", "sending"})


@dataclass(frozen=True, slots=True)
class NotificationStatus:
    """Where a notification stands: its messages counted by state. ``status`` is
    ``queued`` or ``sending`` while any wait or are in flight; then ``done`` for a
    broadcast, the message's own state (``sent``, ``failed``, ``unreachable``) for one
    user's."""

    id: str
    kind: str
    status: str
    recipients: int
    queued: int
    sending: int
    sent: int
    failed: int
    unreachable: int
    created_at: float
    message: MessageState | None

    @property
    def done(self) -> bool:
        """Every message is settled: sent, failed or unreachable."""
        return self.status not in IN_FLIGHT

    @property
    def settled(self) -> int:
        """Messages no longer waiting: sent, failed or unreachable."""
        return self.sent + self.failed + self.unreachable

    @classmethod
    def of(cls, f: Fields) -> NotificationStatus:
        message = f.opt_obj("message")
        return cls(
            id=f.text("id"),
            kind=f.text("kind"),
            status=f.text("status"),
            recipients=f.integer("recipients"),
            queued=f.integer("queued"),
            sending=f.integer("sending"),
            sent=f.integer("sent"),
            failed=f.integer("failed"),
            unreachable=f.integer("unreachable"),
            created_at=f.number("created_at"),
            message=None if message is None else MessageState.of(message),
        )


# -- gated chats --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatRule:
    """Who may be in a chat: ``None`` puts no condition (a linked Telegram is required)."""

    min_karma: int | None
    roles: tuple[str, ...] | None

    @classmethod
    def of(cls, f: Fields) -> ChatRule:
        return cls(min_karma=f.opt_integer("min_karma"), roles=f.opt_texts("roles"))


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat where the bot is or was: ``status`` is ``gated``, ``paused``, ``blocked`` or
    ``not_gated``; ``blocked`` says why it is not gated now."""

    chat_id: int
    title: str
    type: str
    status: str
    gated: bool
    blocked: str | None
    paused_reason: str | None
    bot_rights: tuple[str, ...]
    missing_rights: tuple[str, ...]
    rule: ChatRule | None
    managed: bool
    members: int
    live_invites: int

    @classmethod
    def of(cls, f: Fields) -> Chat:
        rule = f.opt_obj("rule")
        return cls(
            chat_id=f.integer("chat_id"),
            title=f.text("title"),
            type=f.text("type"),
            status=f.text("status"),
            gated=f.flag("gated"),
            blocked=f.opt_text("blocked"),
            paused_reason=f.opt_text("paused_reason"),
            bot_rights=f.texts("bot_rights"),
            missing_rights=f.texts("missing_rights"),
            rule=None if rule is None else ChatRule.of(rule),
            managed=f.flag("managed"),
            members=f.integer("members"),
            live_invites=f.integer("live_invites"),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing gating did (``action``: invite, approve, decline, remove, rule…) and why."""

    id: int
    chat_id: int
    action: str
    telegram_id: int | None
    user_id: int | None
    site_user_id: str | None
    display_name: str | None
    reason: str
    at: float

    @classmethod
    def of(cls, f: Fields) -> AuditEntry:
        return cls(
            id=f.integer("id"),
            chat_id=f.integer("chat_id"),
            action=f.text("action"),
            telegram_id=f.opt_integer("telegram_id"),
            user_id=f.opt_integer("user_id"),
            site_user_id=f.opt_text("site_user_id"),
            display_name=f.opt_text("display_name"),
            reason=f.text("reason"),
            at=f.number("at"),
        )


@dataclass(frozen=True, slots=True)
class Removal:
    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class UserChat:
    """Where a user stands in one chat with a rule: eligible or ``reasons`` why not,
    invited, a member, and the last time gating removed them."""

    chat_id: int
    title: str
    gated: bool
    eligible: bool
    reasons: tuple[str, ...]
    status: str | None
    member: bool
    invited: bool
    removed: Removal | None

    @classmethod
    def of(cls, f: Fields) -> UserChat:
        removed = f.opt_obj("removed")
        return cls(
            chat_id=f.integer("chat_id"),
            title=f.text("title"),
            gated=f.flag("gated"),
            eligible=f.flag("eligible"),
            reasons=f.texts("reasons"),
            status=f.opt_text("status"),
            member=f.flag("member"),
            invited=f.flag("invited"),
            removed=None
            if removed is None
            else Removal(at=removed.number("at"), reason=removed.text("reason")),
        )


@dataclass(frozen=True, slots=True)
class UserChats:
    site_user_id: str
    user_id: int
    chats: tuple[UserChat, ...]

    @classmethod
    def of(cls, f: Fields) -> UserChats:
        return cls(
            site_user_id=f.text("site_user_id"),
            user_id=f.integer("user_id"),
            chats=tuple(UserChat.of(c) for c in f.objs("chats")),
        )


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """``invite``, ``remove`` or ``revoke_invite`` of one Telegram account."""

    action: str
    telegram_id: int
    user_id: int | None
    reason: str | None
    invite_name: str | None

    @classmethod
    def of(cls, f: Fields) -> PlannedChange:
        return cls(
            action=f.text("action"),
            telegram_id=f.integer("telegram_id"),
            user_id=f.opt_integer("user_id"),
            reason=f.opt_text("reason"),
            invite_name=f.opt_text("invite_name"),
        )


@dataclass(frozen=True, slots=True)
class PlanReport:
    """Something wrong that the chat's settings say to leave (an unmanaged chat's stranger)."""

    telegram_id: int
    user_id: int | None
    reason: str

    @classmethod
    def of(cls, f: Fields) -> PlanReport:
        return cls(
            telegram_id=f.integer("telegram_id"),
            user_id=f.opt_integer("user_id"),
            reason=f.text("reason"),
        )


@dataclass(frozen=True, slots=True)
class ChatPlan:
    """What a reconciler pass would change in one chat now (``skipped``: why nothing)."""

    chat_id: int
    title: str | None
    skipped: str | None
    changes: tuple[PlannedChange, ...]
    reports: tuple[PlanReport, ...]

    @classmethod
    def of(cls, f: Fields) -> ChatPlan:
        return cls(
            chat_id=f.integer("chat_id"),
            title=f.opt_text("title"),
            skipped=f.opt_text("skipped"),
            changes=tuple(PlannedChange.of(c) for c in f.objs("changes")),
            reports=tuple(PlanReport.of(r) for r in f.objs("reports")),
        )


# -- OpenID clients -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OidcClient:
    """An app that signs its users in through tgpass. ``client_secret`` is there only in
    the answer to its registration, and never for a public client."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    token_endpoint_auth_method: str
    id_token_signed_response_alg: str
    client_secret: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, f: Fields) -> OidcClient:
        return cls(
            client_id=f.text("client_id"),
            name=f.text("name"),
            redirect_uris=f.texts("redirect_uris"),
            post_logout_redirect_uris=f.texts("post_logout_redirect_uris"),
            scopes=f.texts("scopes"),
            token_endpoint_auth_method=f.text("token_endpoint_auth_method"),
            id_token_signed_response_alg=f.text("id_token_signed_response_alg"),
            client_secret=f.opt_text("client_secret"),
        )


# -- event webhooks -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """An endpoint of the site that hears events. ``failing_since`` (Unix seconds) is
    ``None`` while deliveries succeed; ``previous_secret_until``: after a rotation, until
    when the old secret still signs beside the new one."""

    id: int
    url: str
    events: tuple[str, ...]
    description: str
    enabled: bool
    disabled_reason: str | None
    failing_since: float | None
    previous_secret_until: float | None
    created_at: float

    @classmethod
    def of(cls, f: Fields) -> WebhookEndpoint:
        return cls(**_endpoint_fields(f))


@dataclass(frozen=True, slots=True)
class NewWebhookEndpoint(WebhookEndpoint):
    """An endpoint just added, with its signing secret (``whsec_…``), shown this once."""

    secret: str = field(default="", repr=False)

    @classmethod
    def of(cls, f: Fields) -> NewWebhookEndpoint:
        return cls(**_endpoint_fields(f), secret=f.text("secret"))


class _EndpointFields(TypedDict):
    id: int
    url: str
    events: tuple[str, ...]
    description: str
    enabled: bool
    disabled_reason: str | None
    failing_since: float | None
    previous_secret_until: float | None
    created_at: float


def _endpoint_fields(f: Fields) -> _EndpointFields:
    return {
        "id": f.integer("id"),
        "url": f.text("url"),
        "events": f.texts("events"),
        "description": f.text("description"),
        "enabled": f.flag("enabled"),
        "disabled_reason": f.opt_text("disabled_reason"),
        "failing_since": f.opt_number("failing_since"),
        "previous_secret_until": f.opt_number("previous_secret_until"),
        "created_at": f.number("created_at"),
    }


@dataclass(frozen=True, slots=True)
class RotatedSecret:
    """An endpoint's new secret, shown this once; the old one signs too until
    ``previous_secret_until``."""

    id: int
    previous_secret_until: float | None
    secret: str = field(repr=False)

    @classmethod
    def of(cls, f: Fields) -> RotatedSecret:
        return cls(
            id=f.integer("id"),
            previous_secret_until=f.opt_number("previous_secret_until"),
            secret=f.text("secret"),
        )


@dataclass(frozen=True, slots=True)
class TestEvent:
    """A ``webhook.test`` event queued for one endpoint, sent at once."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    event_id: str
    type: str

    @classmethod
    def of(cls, f: Fields) -> TestEvent:
        return cls(event_id=f.text("event_id"), type=f.text("type"))


@dataclass(frozen=True, slots=True)
class RetriedDelivery:
    """A delivery pending again, due now (the same ``webhook-id`` as before)."""

    event_id: str
    status: str

    @classmethod
    def of(cls, f: Fields) -> RetriedDelivery:
        return cls(event_id=f.text("event_id"), status=f.text("status"))


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event's delivery to one endpoint: ``pending``, ``delivered`` or ``failed``, with
    the attempts made and the endpoint's last answer (``last_status``) or ``last_error``."""

    event_id: str
    type: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: float | None
    created_at: float
    delivered_at: float | None

    @classmethod
    def of(cls, f: Fields) -> Delivery:
        return cls(
            event_id=f.text("event_id"),
            type=f.text("type"),
            status=f.text("status"),
            attempts=f.integer("attempts"),
            last_status=f.opt_integer("last_status"),
            last_error=f.opt_text("last_error"),
            next_attempt_at=f.opt_number("next_attempt_at"),
            created_at=f.number("created_at"),
            delivered_at=f.opt_number("delivered_at"),
        )
