"""The unit of work: one transaction per use case, with every repository on it.

A use case that changes state and queues a message does both in one ``async with uow() as
tx:`` block: they commit together or not at all. Reads that need no transaction go through
the (cached) ``AccountStore`` instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from tgpass.domain.delivery import NewMessage, OutboxItem, Settlement, State
from tgpass.domain.gating import Chat, ChatRule, Invitation, JoinRequest, Member, MemberStatus
from tgpass.domain.webhooks import Delivery, DeliveryResult, Endpoint, Event
from tgpass.service.ports import AccountStore


class OutboxStore(ABC):
    """Messages waiting to be sent, being sent, and what became of them."""

    @abstractmethod
    async def add(
        self, messages: Sequence[NewMessage], *, now: float, deadline: float
    ) -> list[int]:
        """Queue the messages; their ids, in order."""

    @abstractmethod
    async def claim(
        self, *, owner: str, now: float, lease: float, limit: int, ids: Sequence[int] = ()
    ) -> list[OutboxItem]:
        """Take up to ``limit`` due rows (queued, or sending with an expired lease), oldest
        first, and mark them ``sending`` until ``now + lease``. Rows another claimer holds
        are skipped, never waited for. With ``ids``, only those rows."""

    @abstractmethod
    async def settle(
        self, settlements: Sequence[Settlement], *, owner: str, now: float
    ) -> list[Settlement]:
        """Record what became of sends: final states, or back to queued for later. Only rows
        ``owner`` still leases change: a row whose lease ran out belongs to its new claimer,
        who sends it again and tells what became of it. The settlements that applied, those
        given (the first for a row named twice), in their order: what the caller may act on."""

    @abstractmethod
    async def get(self, item_id: int) -> OutboxItem | None: ...

    @abstractmethod
    async def counts(self, notification_id: str | None = None) -> dict[State, int]:
        """Rows by state: of one notification, or of the whole outbox."""

    @abstractmethod
    async def of_notification(
        self, notification_id: str, *, limit: int = 1
    ) -> list[OutboxItem]: ...

    @abstractmethod
    async def recent(self, user_id: int, *, limit: int = 10) -> list[OutboxItem]:
        """The user's newest messages, newest first."""

    @abstractmethod
    async def dead(self, *, limit: int = 100) -> list[OutboxItem]:
        """Failed rows (the dead letters), newest first."""

    @abstractmethod
    async def requeue(self, ids: Sequence[int] | None, *, now: float, deadline: float) -> int:
        """Failed rows (``ids``, or all) back to queued with a fresh deadline; how many."""


@dataclass(frozen=True, slots=True)
class Consent:
    user_id: int
    chat_id: int


class LinkStore(ABC):
    """Pending links: one live code per account, and relinks waiting for consent. Only keyed
    hashes of codes and tokens are stored."""

    @abstractmethod
    async def put_code(self, user_id: int, code_hash: str, *, expires_at: float) -> None:
        """The user's code, replacing any earlier one."""

    @abstractmethod
    async def take_code(self, code_hash: str, *, now: float) -> int | None:
        """Consume a live code: its user id, once."""

    @abstractmethod
    async def pending_code(self, user_id: int, *, now: float) -> float | None:
        """When the user's live code expires, or None."""

    @abstractmethod
    async def cancel_code(self, user_id: int) -> bool: ...

    @abstractmethod
    async def put_consent(
        self, token_hash: str, consent: Consent, *, telegram_id: int, expires_at: float
    ) -> None: ...

    @abstractmethod
    async def take_consent(
        self, token_hash: str, *, telegram_id: int, now: float
    ) -> Consent | None:
        """Consume a live consent token, only when pressed by ``telegram_id``, its owner."""


@dataclass(frozen=True, slots=True)
class FailedUpdate:
    bot_id: int
    update_id: int
    error: str
    payload: str | None
    created_at: float


class UpdateLog(ABC):
    """Updates handled (each once, whichever process receives it) and updates that failed."""

    @abstractmethod
    async def claim(self, bot_id: int, update_id: int, *, now: float) -> bool:
        """Mark the update handled in this transaction; False if it already was. An update
        recorded as failed is claimed again: its redelivery is handled afresh."""

    @abstractmethod
    async def fail(
        self, bot_id: int, update_id: int, *, error: str, payload: str | None, now: float
    ) -> None:
        """Record a dead letter: the update could not be handled."""

    @abstractmethod
    async def failed(self, *, limit: int = 100) -> list[FailedUpdate]: ...

    @abstractmethod
    async def forget(self, bot_id: int, update_id: int) -> None:
        """Drop the record, so that a retry handles it afresh."""


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    kind: str  # single | broadcast
    recipients: int
    payload: str
    created_at: float
    completed_at: float | None = None  # a broadcast, once its last message was settled


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    request_hash: str
    status: int
    response: str


class NotificationStore(ABC):
    @abstractmethod
    async def add(self, notification: Notification) -> None: ...

    @abstractmethod
    async def get(self, notification_id: str) -> Notification | None: ...

    @abstractmethod
    async def complete(self, notification_id: str, *, now: float) -> bool:
        """Mark the notification completed when none of its messages is queued or sending
        and it was not completed before: True only in the one transaction that did. It sees
        what concurrent transactions settled of it: calls for one notification take turns,
        each after the one before committed (a lock held until the end of the transaction),
        so of two settling its last messages at once, the second finds it done."""

    @abstractmethod
    async def answer_for(self, key_hash: str) -> StoredAnswer | None:
        """What an Idempotency-Key was answered with."""

    @abstractmethod
    async def remember(self, key_hash: str, answer: StoredAnswer, *, now: float) -> bool:
        """Keep the answer; False when another request stored one for the key meanwhile."""


class WebhookRepository(ABC):
    """The site's event endpoints, the events announced, and each event's delivery to each
    endpoint. Deliveries are claimed under a lease, as the outbox's rows are: any number of
    workers share them and none holds one another holds."""

    @abstractmethod
    async def add_endpoint(
        self, url: str, events: Sequence[str], *, secret: str, description: str, now: float
    ) -> Endpoint: ...

    @abstractmethod
    async def endpoint(self, endpoint_id: int) -> Endpoint | None: ...

    @abstractmethod
    async def endpoints(self) -> list[Endpoint]:
        """Every endpoint, oldest first."""

    @abstractmethod
    async def save_endpoint(self, endpoint: Endpoint) -> None:
        """Write every field of an endpoint that exists (its id names it)."""

    @abstractmethod
    async def delete_endpoint(self, endpoint_id: int) -> bool:
        """The endpoint and its deliveries go; False when there was none."""

    @abstractmethod
    async def record(
        self, event: Event, *, now: float, endpoint_ids: Sequence[int] | None = None
    ) -> int:
        """Keep the event and make one pending delivery, due now, for each enabled endpoint
        that asked for its type (or for the endpoints named, whatever they asked for); how
        many. Inside the transaction of the change it announces."""

    @abstractmethod
    async def due_endpoints(self, *, now: float) -> list[int]:
        """Enabled endpoints with a delivery that may be claimed now."""

    @abstractmethod
    async def claim(
        self,
        endpoint_id: int,
        *,
        owner: str,
        now: float,
        lease: float,
        limit: int,
        order_hold: float,
    ) -> list[Delivery]:
        """Take up to ``limit`` of the endpoint's pending deliveries that are due and not
        leased (or whose lease ran out), in the order their events happened, and lease them
        to ``owner`` until ``now + lease``. A delivery waits while an earlier one about the
        same subject is still pending, unless that one has been failing for longer than
        ``order_hold`` seconds. Rows another claimer holds are skipped, never waited for."""

    @abstractmethod
    async def settle(
        self, results: Sequence[DeliveryResult], *, owner: str, now: float
    ) -> list[DeliveryResult]:
        """Record attempts' outcomes on the deliveries ``owner`` still leases (the others
        belong to their new claimer), and on each endpoint when its failures began (cleared
        by a delivery); the results recorded."""

    @abstractmethod
    async def release(
        self, owner: str, deliveries: Sequence[tuple[int, str]], *, now: float
    ) -> int:
        """Give back deliveries (``(endpoint id, event id)``) that ``owner`` claimed and
        never tried: due at ``now`` for any claimer, their lease and attempts as before the
        claim. Those ``owner`` no longer leases are left alone; how many were given back."""

    @abstractmethod
    async def deliveries(self, endpoint_id: int, *, limit: int = 50) -> list[Delivery]:
        """The endpoint's deliveries, newest event first."""

    @abstractmethod
    async def retry(self, endpoint_id: int, event_id: str, *, now: float) -> bool:
        """A delivery (whatever its state) pending again, due now, its lease dropped;
        False when there is no such delivery."""

    @abstractmethod
    async def pending_counts(self) -> dict[int, int]:
        """Pending deliveries by endpoint id (endpoints with none are left out)."""

    @abstractmethod
    async def prune(self, *, before: float, limit: int) -> int:
        """Forget up to ``limit`` events that occurred before ``before`` and have no pending
        delivery left, with their deliveries (delivered or failed); how many events went.
        One still pending is kept, however old: it is not done yet."""


class UnitOfWork(ABC):
    """``async with uow() as tx``: commits when the block ends normally, else rolls back."""

    accounts: AccountStore
    outbox: OutboxStore
    links: LinkStore
    updates: UpdateLog
    notifications: NotificationStore
    chats: ChatRepository
    members: MemberRepository
    invites: InviteRepository
    join_requests: JoinRequestRepository
    reconcile_requests: ReconcileRequests
    audit: AuditLog
    webhooks: WebhookRepository

    def __init__(self) -> None:
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (wake the worker, say)."""
        self._after_commit.append(callback)

    @abstractmethod
    async def _begin(self) -> None: ...

    @abstractmethod
    async def _commit(self) -> None: ...

    @abstractmethod
    async def _rollback(self) -> None: ...

    async def __aenter__(self) -> Self:
        await self._begin()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            await self._rollback()
            return
        await self._commit()
        for callback in self._after_commit:
            callback()


UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing gating did or decided, and why."""

    id: int
    chat_id: int
    action: str
    telegram_id: int | None
    user_id: int | None
    reason: str
    at: float


class ChatRepository(ABC):
    """Gated chats as the bot sees them, and each one's rule: for an unknown chat, writing a
    rule raises NotFound."""

    @abstractmethod
    async def upsert_chat(self, chat: Chat) -> None:
        """Record the chat as the bot sees it now (title, type, its rights, a pause)."""

    @abstractmethod
    async def get_chat(self, chat_id: int) -> Chat | None: ...

    @abstractmethod
    async def list_chats(self) -> list[Chat]:
        """Every known chat, by id."""

    @abstractmethod
    async def set_rule(self, chat_id: int, rule: ChatRule | None) -> None:
        """The chat's rule; None removes it (the chat is then not gated)."""

    @abstractmethod
    async def get_rule(self, chat_id: int) -> ChatRule | None: ...

    @abstractmethod
    async def rules(self) -> dict[int, ChatRule]:
        """Every chat's rule, by chat id, in one read (chats without one are absent)."""

    @abstractmethod
    async def copy_chat(self, old_chat_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup: record the new id as the old chat (a supergroup now)
        and give it the old's rule, each unless the new id holds one already. False when the
        old chat is unknown. The old chat stays, for what belongs to it to follow it, until
        ``delete_chat``."""

    @abstractmethod
    async def delete_chat(self, chat_id: int) -> None:
        """Forget the chat, its rule, and what of it is left (members, invites, join
        requests)."""


class GoneSince(Exception):
    """A membership was not recorded: the account left or was removed after the news it
    came from (``MemberRepository.record``'s ``unless_gone_since``)."""


class MemberRepository(ABC):
    """Who is in each gated chat, as Telegram last said, and the unbans the bot owes. Writing
    them for an unknown chat raises NotFound."""

    @abstractmethod
    async def record(
        self,
        chat_id: int,
        telegram_id: int,
        status: MemberStatus,
        *,
        now: float,
        user_id: int | None = None,
        unless_gone_since: float | None = None,
    ) -> MemberStatus | None:
        """The Telegram account's latest status in the chat. ``user_id``: the site account
        the bot admitted it for; kept while it stays, forgotten when it leaves. Any status
        but ``kicked`` settles an unban owed. Returns the status it replaced (None: there was
        none), read and written as one step: of transactions recording the same account at
        once, each sees what the one before it wrote, so one alone moves it into the chat.
        ``unless_gone_since``: when the news is that old, and the account has left or been
        removed since, nothing is written and ``GoneSince`` is raised (an approval recorded
        late must not undo a newer removal)."""

    @abstractmethod
    async def of_account(self, telegram_id: int) -> dict[int, Member]:
        """The Telegram account's recorded status in every chat, by chat id."""

    @abstractmethod
    async def of_chat(self, chat_id: int) -> list[Member]:
        """Every recorded status in the chat (those who left too), by Telegram id."""

    @abstractmethod
    async def present_counts(self, *, chat_id: int | None = None) -> dict[int, int]:
        """How many are in each chat (or in ``chat_id``) now, by chat id, in one read; a chat
        nobody is in is absent."""

    @abstractmethod
    async def owe_unban(self, chat_id: int, telegram_id: int, *, now: float) -> None:
        """The bot banned this account to remove it and its unban failed: it owes one."""

    @abstractmethod
    async def owed_unbans(self) -> list[tuple[int, int]]:
        """(chat id, Telegram id) of every unban owed, by chat then account."""

    @abstractmethod
    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """The old chat's members (and unbans owed) go to the new id, unless it holds the
        same Telegram account already. The new chat must be known."""


class InviteRepository(ABC):
    """The personal invite links sent, looked up by a hash of the URL. Adding one for an
    unknown chat raises NotFound."""

    @abstractmethod
    async def add(self, chat_id: int, invite: Invitation, *, now: float) -> None:
        """Keep a new invite link; its name is unique in the chat (Conflict otherwise)."""

    @abstractmethod
    async def revoke(self, chat_id: int, name: str, *, now: float) -> bool:
        """End a live invite; False when it was not live."""

    @abstractmethod
    async def consume(
        self, chat_id: int, link_hash: str, *, telegram_id: int, now: float
    ) -> Invitation | None:
        """Use a live, unexpired invite, once, and only by the Telegram account it was made
        for: of two requests at once, one gets it."""

    @abstractmethod
    async def live(self, chat_id: int, *, now: float) -> list[Invitation]:
        """Invites neither used, revoked nor expired, by name."""

    @abstractmethod
    async def live_counts(self, *, now: float, chat_id: int | None = None) -> dict[int, int]:
        """How many invites are live in each chat (or in ``chat_id``), by chat id, in one
        read; a chat with none is absent."""

    @abstractmethod
    async def invited_to(self, user_id: int, *, now: float) -> set[int]:
        """The chats where an invite made for the site account is live."""

    @abstractmethod
    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """The old chat's invites go to the new id, unless it holds one of the same name
        already. The new chat must be known."""


class JoinRequestRepository(ABC):
    """Join requests waiting for an answer (tried again when answering fails)."""

    @abstractmethod
    async def add(self, request: JoinRequest) -> None:
        """A join request waiting for an answer; a newer one from the same account in the
        same chat replaces it. NotFound for an unknown chat."""

    @abstractmethod
    async def due(self, *, now: float, limit: int) -> list[JoinRequest]:
        """Unanswered requests whose time has come, oldest first."""

    @abstractmethod
    async def answered(self, chat_id: int, telegram_id: int, *, at: float) -> bool:
        """The request made at ``at`` has been answered (or can no longer be): forget it.
        False when a newer one took its place."""

    @abstractmethod
    async def postpone(self, chat_id: int, telegram_id: int, *, at: float, until: float) -> None:
        """Answering failed for now: try again at ``until``; one more attempt counted."""

    @abstractmethod
    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """The old chat's requests go to the new id, unless it holds one from the same
        account already. The new chat must be known."""


class ReconcileRequests(ABC):
    """Change events waiting for the reconciler: written in the transaction that made the
    change, forgotten once a pass has seen them."""

    @abstractmethod
    async def add(self, reason: str, *, now: float) -> int:
        """Something gating depends on changed (karma, role, a link, a rule): the reconciler
        must look again. Returns the request's number."""

    @abstractmethod
    async def last(self) -> int:
        """The newest request's number, 0 when none is waiting."""

    @abstractmethod
    async def reconciled(self, upto: int) -> None:
        """A pass that began after request ``upto`` has run: forget it and those before."""


class AuditLog(ABC):
    """What gating did or decided in each chat, and why; it outlives a forgotten chat."""

    @abstractmethod
    async def add(
        self,
        chat_id: int,
        action: str,
        *,
        telegram_id: int | None,
        user_id: int | None,
        reason: str,
        now: float,
    ) -> None: ...

    @abstractmethod
    async def entries(
        self, *, chat_id: int | None = None, user_id: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Entries, newest first (in the order written when their times are equal)."""

    @abstractmethod
    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """The old chat's entries name the new id."""
