"""Who may be in which private chat, and what to do about those who may not. Pure: no I/O,
no clock (``now`` is given).

A gated chat has a rule (a minimum karma, a set of roles; a linked Telegram account is always
required). ``plan`` compares who should be in a chat with who is and returns only the
difference; once its changes are applied, planning again finds nothing to change::

    eligible, linked, absent, no live invite   ─▶ Invite
    member, no longer eligible (not staff)     ─▶ Remove      (ban, then unban)
    member admitted for an account that no longer has that Telegram account
                                               ─▶ Remove      (unlinked, relinked, deleted)
    member, linked to no account               ─▶ Remove if the chat is managed, else Report
    live invite, holder no longer eligible     ─▶ RevokeInvite
    chat admins and the creator                ─▶ never touched

A join request is decided on its own by ``decide_join``: approved only when the requesting
Telegram account is linked and its person is eligible now, whichever link it came through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from tgpass.errors import InvalidInput

from .accounts import checked_role

MemberStatus = Literal["member", "administrator", "creator", "left", "kicked", "restricted"]
MEMBER_STATUSES: Final = frozenset(
    {"member", "administrator", "creator", "left", "kicked", "restricted"}
)
PRESENT: Final = frozenset({"member", "administrator", "creator", "restricted"})
CHAT_ADMINS: Final = frozenset({"administrator", "creator"})
REQUIRED_RIGHTS: Final = frozenset({"can_invite_users", "can_restrict_members"})
STAFF_ROLE: Final = "staff"


@dataclass(frozen=True, slots=True)
class ChatRule:
    """Who may be in a chat. ``None`` puts no condition; a linked Telegram account is always
    required."""

    min_karma: int | None = None
    roles: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.roles is not None:
            if not self.roles:
                raise InvalidInput("a rule's roles name at least one role", field="roles")
            for role in self.roles:
                checked_role(role)


@dataclass(frozen=True, slots=True)
class Chat:
    """A Telegram chat as the bot last saw it. ``managed``: members who do not qualify and
    are linked to no account are removed (True) or only reported (False)."""

    chat_id: int
    title: str
    type: str  # private | group | supergroup | channel: only supergroups are gated
    bot_rights: frozenset[str] = frozenset()
    paused_reason: str | None = None
    managed: bool = True


@dataclass(frozen=True, slots=True)
class Member:
    """A Telegram account's status in a chat; ``user_id``: the site account the bot admitted
    it for, while it stays."""

    telegram_id: int
    status: MemberStatus
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A site account, as far as gating cares."""

    user_id: int
    role: str
    karma: int
    telegram_id: int | None
    deleted: bool = False

    @property
    def staff(self) -> bool:
        return self.role == STAFF_ROLE and not self.deleted


REASONS: Final[Mapping[str, str]] = {
    "deleted": "account deleted",
    "not_linked": "not linked",
    "karma": "karma {karma} < {min_karma}",
    "role": "role {role} not in {roles}",
    "basic_group": "a basic group: upgrade it to a supergroup to gate it",
    "not_supergroup": "a {type}: only supergroups are gated",
    "paused": "paused: {reason}",
    "lacks_rights": "the bot lacks {rights}",
    "moved_on": "no longer the Telegram account of the site account it joined for",
    "unlinked_member": "not linked to a site account",
    "banned": "banned by the chat's admins",
    "other_account": "linked to another Telegram account",
    "present": "already in the chat",
    "newer_invite": "a newer invite is live",
    "not_eligible": "not eligible",
}
"""Every kind of reason, in the English the audit log keeps and the site API shows."""


class Reason(str):
    """Why someone may not be in a chat (or why a chat is not gated): its English wording,
    which is what the audit log stores, carrying its kind and values too, so that the bot can
    say it in the reader's language. Several at once are ``Reason.joined``: ``parts``."""

    kind: str
    values: Mapping[str, str | int]
    parts: tuple[str, ...]

    def __new__(cls, kind: str, /, **values: str | int) -> Reason:
        reason = super().__new__(cls, REASONS[kind].format(**values))
        reason.kind, reason.values, reason.parts = kind, values, ()
        return reason

    @classmethod
    def joined(cls, reasons: Iterable[str]) -> str:
        """Several reasons as one: ``a; b`` (a single one as itself)."""
        parts = tuple(reasons)
        if len(parts) == 1:
            return parts[0]
        reason = str.__new__(cls, "; ".join(parts))
        reason.kind, reason.values, reason.parts = "joined", {}, parts
        return reason

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuilt, (str(self), self.kind, dict(self.values), self.parts))


def _rebuilt(text: str, kind: str, values: dict[str, str | int], parts: tuple[str, ...]) -> Reason:
    reason = str.__new__(Reason, text)
    reason.kind, reason.values, reason.parts = kind, values, parts
    return reason


def link_hash(invite_link: str) -> str:
    """How an invite link is looked up (a join request names the link it came through)."""
    return hashlib.sha256(invite_link.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Invitation:
    """A personal join-request invite link, made for one person's Telegram account."""

    name: str
    user_id: int
    telegram_id: int
    expires_at: float
    link: str

    @property
    def link_hash(self) -> str:
        return link_hash(self.link)

    def live(self, now: float) -> bool:
        return self.expires_at > now


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """Someone asked to join a chat. ``query_id``: the chat made the bot its guard, so it
    answers the query (within seconds) rather than the request. ``user_chat_id`` may be
    written to for a few minutes even if they never started the bot. ``language_code``: what
    the requester's Telegram app reported, when known (the answer is told in it)."""

    chat_id: int
    telegram_id: int
    user_chat_id: int
    at: float
    query_id: str | None = None
    invite_link: str | None = None
    attempts: int = 0
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class Eligible:
    pass


@dataclass(frozen=True, slots=True)
class NotEligible:
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return Reason.joined(self.reasons)


Eligibility = Eligible | NotEligible
ELIGIBLE: Final = Eligible()


def missing_rights(chat: Chat) -> set[str]:
    """The administrator rights the bot needs in ``chat`` and lacks."""
    return set(REQUIRED_RIGHTS - chat.bot_rights)


def not_gateable(chat: Chat) -> str | None:
    """Why the bot cannot gate ``chat`` now, or None when it can."""
    if chat.type == "group":
        return Reason("basic_group")
    if chat.type != "supergroup":
        return Reason("not_supergroup", type=chat.type)
    if chat.paused_reason is not None:
        return Reason("paused", reason=chat.paused_reason)
    lacking = missing_rights(chat)
    if lacking:
        return Reason("lacks_rights", rights=", ".join(sorted(lacking)))
    return None


def eligibility(person: Person, rule: ChatRule) -> Eligibility:
    """Whether ``person`` may be in a chat under ``rule``; every unmet condition is named."""
    reasons: list[str] = []
    if person.deleted:
        reasons.append(Reason("deleted"))
    if person.telegram_id is None:
        reasons.append(Reason("not_linked"))
    if rule.min_karma is not None and person.karma < rule.min_karma:
        reasons.append(Reason("karma", karma=person.karma, min_karma=rule.min_karma))
    if rule.roles is not None and person.role not in rule.roles:
        reasons.append(Reason("role", role=person.role, roles=", ".join(sorted(rule.roles))))
    return NotEligible(tuple(reasons)) if reasons else ELIGIBLE


@dataclass(frozen=True, slots=True)
class Approve:
    user_id: int


@dataclass(frozen=True, slots=True)
class Decline:
    reason: str


def decide_join(person: Person | None, rule: ChatRule, chat: Chat) -> Approve | Decline:
    """A join request from a Telegram account: ``person`` is the site account linked to it
    (None when there is none). Approved only when the chat is gated and the person eligible
    now, so a link that leaked lets nobody else in."""
    blocked = not_gateable(chat)
    if blocked is not None:
        return Decline(blocked)
    if person is None:
        return Decline(Reason("not_linked"))
    verdict = eligibility(person, rule)
    if isinstance(verdict, NotEligible):
        return Decline(verdict.reason)
    return Approve(person.user_id)


@dataclass(frozen=True, slots=True)
class Invite:
    user_id: int
    telegram_id: int


@dataclass(frozen=True, slots=True)
class Remove:
    telegram_id: int
    user_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class RevokeInvite:
    name: str
    user_id: int
    telegram_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Report:
    """Something wrong that the chat's settings say not to act on."""

    telegram_id: int
    user_id: int | None
    reason: str


Change = Remove | RevokeInvite | Invite


@dataclass(frozen=True, slots=True)
class Plan:
    """What to change in one chat (removals, then revocations, then invites, each sorted),
    what to report, and why nothing was planned when the chat cannot be gated."""

    chat_id: int
    changes: tuple[Change, ...] = ()
    reports: tuple[Report, ...] = ()
    skipped: str | None = None

    @property
    def empty(self) -> bool:
        return not self.changes

    def as_dict(self) -> dict[str, object]:
        """The plan as JSON-ready data (what ``tgpass reconcile --dry-run`` prints)."""
        return {
            "chat_id": self.chat_id,
            "skipped": self.skipped,
            "changes": [_change_dict(change) for change in self.changes],
            "reports": [
                {"telegram_id": r.telegram_id, "user_id": r.user_id, "reason": r.reason}
                for r in self.reports
            ],
        }


def _change_dict(change: Change) -> dict[str, object]:
    if isinstance(change, Invite):
        return {"action": "invite", "telegram_id": change.telegram_id, "user_id": change.user_id}
    action = "remove" if isinstance(change, Remove) else "revoke"
    return {
        "action": action,
        "telegram_id": change.telegram_id,
        "user_id": change.user_id,
        "reason": change.reason,
    }


def plan(
    chat: Chat,
    rule: ChatRule,
    people: Iterable[Person],
    members: Iterable[Member],
    invited: Iterable[Invitation],
    now: float,
) -> Plan:
    """The difference between who should be in ``chat`` and who is. Linear in its inputs:
    everything is looked up by Telegram id or user id."""
    blocked = not_gateable(chat)
    if blocked is not None:
        return Plan(chat.chat_id, skipped=blocked)
    by_telegram: dict[int, Person] = {}
    by_user: dict[int, Person] = {}
    for person in people:
        by_user[person.user_id] = person
        if person.telegram_id is not None:
            by_telegram[person.telegram_id] = person
    status = {m.telegram_id: m.status for m in members}

    removes: list[Remove] = []
    reports: list[Report] = []
    admitted = {m.telegram_id: m.user_id for m in members if m.user_id is not None}
    for telegram_id, state in status.items():
        if state not in PRESENT or state in CHAT_ADMINS:
            continue
        owner = by_telegram.get(telegram_id)
        if owner is None and telegram_id in admitted:
            moved_on = Reason("moved_on")
            removes.append(Remove(telegram_id, admitted[telegram_id], moved_on))
            continue
        if owner is None:
            if chat.managed:
                removes.append(Remove(telegram_id, None, Reason("unlinked_member")))
            else:
                reports.append(Report(telegram_id, None, Reason("unlinked_member")))
            continue
        if owner.staff:
            continue
        verdict = eligibility(owner, rule)
        if isinstance(verdict, NotEligible):
            removes.append(Remove(telegram_id, owner.user_id, verdict.reason))

    # One live invite per eligible absent person: the newest good one is kept.
    revokes: list[RevokeInvite] = []
    holding: set[int] = set()
    for invite in sorted(invited, key=lambda i: (-i.expires_at, i.name)):
        if not invite.live(now):
            continue
        reason = _invite_problem(invite, by_user.get(invite.user_id), rule, status, holding)
        if reason is None:
            holding.add(invite.user_id)
        else:
            revokes.append(RevokeInvite(invite.name, invite.user_id, invite.telegram_id, reason))

    invites: list[Invite] = []
    for person in by_user.values():
        linked = person.telegram_id
        if linked is None or person.user_id in holding:
            continue
        now_in = status.get(linked)
        if now_in is not None and now_in in PRESENT:
            continue
        if now_in == "kicked":
            # Banned by the chat's own admins (our removals unban): theirs to undo.
            if eligibility(person, rule) is ELIGIBLE:
                reports.append(Report(linked, person.user_id, Reason("banned")))
            continue
        if eligibility(person, rule) is ELIGIBLE:
            invites.append(Invite(person.user_id, linked))

    removes.sort(key=lambda r: r.telegram_id)
    revokes.sort(key=lambda r: r.name)
    invites.sort(key=lambda i: i.user_id)
    reports.sort(key=lambda r: r.telegram_id)
    return Plan(chat.chat_id, (*removes, *revokes, *invites), tuple(reports))


def _invite_problem(
    invite: Invitation,
    person: Person | None,
    rule: ChatRule,
    status: dict[int, MemberStatus],
    holding: set[int],
) -> str | None:
    """Why a live invite should go, or None to keep it."""
    if person is None:
        return Reason("not_linked")
    verdict = eligibility(person, rule)
    if isinstance(verdict, NotEligible):
        return verdict.reason
    if person.telegram_id != invite.telegram_id:
        return Reason("other_account")
    state = status.get(invite.telegram_id)
    if state is not None and state in PRESENT:
        return Reason("present")
    if state == "kicked":
        return Reason("banned")
    if invite.user_id in holding:
        return Reason("newer_invite")
    return None
