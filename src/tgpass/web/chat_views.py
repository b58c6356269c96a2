"""What the site API and the staff pages show of gated chats: the JSON models, and how
each is read from the gating use case (in a fixed number of queries, whatever the number of
chats)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from tgpass.domain.accounts import User
from tgpass.domain.gating import PRESENT, ChatRule, Invite, Plan, Remove, missing_rights
from tgpass.service.gating import GatingService
from tgpass.service.gating.service import ChatView, UserInChat
from tgpass.service.uow import AuditEntry

from .schemas import Text

ChatId = Annotated[
    int, Path(ge=-(2**62), le=2**62, description="Telegram's chat id (negative for groups).")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many entries.")]


class RuleIn(BaseModel):
    """Who may be in the chat: ``null`` puts no condition (a linked Telegram account is
    always required). Unknown fields are refused: a misspelt condition would open the chat."""

    model_config = ConfigDict(extra="forbid")

    min_karma: int | None = Field(None, ge=-(2**62), le=2**62)
    roles: list[Text] | None = Field(
        None, max_length=64, description="Any of these site roles; at least one when given."
    )
    managed: bool | None = Field(
        None,
        description="Remove members linked to no site account (true) or only report them "
        "(false); unchanged when absent.",
    )

    def rule(self) -> ChatRule:
        """The domain's rule (its checks raise ``InvalidInput``: a 422)."""
        roles = None if self.roles is None else frozenset(self.roles)
        return ChatRule(min_karma=self.min_karma, roles=roles)


class RuleOut(BaseModel):
    min_karma: int | None
    roles: list[str] | None

    @classmethod
    def of(cls, rule: ChatRule | None) -> RuleOut | None:
        if rule is None:
            return None
        roles = None if rule.roles is None else sorted(rule.roles)
        return cls(min_karma=rule.min_karma, roles=roles)


class ChatOut(BaseModel):
    chat_id: int
    title: str
    type: str = Field(description="private | group | supergroup | channel")
    status: Literal["gated", "paused", "blocked", "not_gated"] = Field(
        description="gated; paused (the bot lost its rights or Telegram refused it); blocked "
        "(not a supergroup, or the bot lacks rights); not_gated (no rule)."
    )
    gated: bool
    blocked: str | None = Field(description="Why the chat is not gated now, or null.")
    paused_reason: str | None
    bot_rights: list[str]
    missing_rights: list[str] = Field(description="Administrator rights the bot still needs.")
    rule: RuleOut | None
    managed: bool
    members: int = Field(description="Present in the chat, as the bot last heard.")
    live_invites: int

    @classmethod
    def of(cls, view: ChatView) -> ChatOut:
        chat = view.chat
        if view.blocked is None:
            status: Literal["gated", "paused", "blocked", "not_gated"] = "gated"
        elif chat.paused_reason is not None:
            status = "paused"
        elif view.rule is None and view.blocked == "no rule: not gated":
            status = "not_gated"
        else:
            status = "blocked"
        return cls(
            chat_id=chat.chat_id,
            title=chat.title,
            type=chat.type,
            status=status,
            gated=view.blocked is None,
            blocked=view.blocked,
            paused_reason=chat.paused_reason,
            bot_rights=sorted(chat.bot_rights),
            missing_rights=sorted(missing_rights(chat)),
            rule=RuleOut.of(view.rule),
            managed=chat.managed,
            members=view.members,
            live_invites=view.live_invites,
        )


class AuditOut(BaseModel):
    id: int
    chat_id: int
    action: str = Field(description="bot, rule, invite, approve, decline, remove, revoke, ...")
    telegram_id: int | None
    user_id: int | None = Field(description="tgpass's id of the site account concerned.")
    site_user_id: str | None = Field(description="The site's own id of that account.")
    display_name: str | None = Field(description="That account's name (null: no account).")
    reason: str
    at: float

    @classmethod
    def of(cls, entry: AuditEntry, user: User | None = None) -> AuditOut:
        return cls(
            id=entry.id,
            chat_id=entry.chat_id,
            action=entry.action,
            telegram_id=entry.telegram_id,
            user_id=entry.user_id,
            site_user_id=None if user is None else user.site_user_id,
            display_name=None if user is None else user.display_name,
            reason=entry.reason,
            at=entry.at,
        )


class RemovedOut(BaseModel):
    at: float
    reason: str


class UserChatOut(BaseModel):
    chat_id: int
    title: str
    gated: bool = Field(description="False while the chat is paused or blocked.")
    eligible: bool
    reasons: list[str] = Field(description="Every condition the account does not meet.")
    status: str | None = Field(description="member, administrator, left, kicked, ... or null.")
    member: bool
    invited: bool = Field(description="A personal invite link of theirs is live.")
    removed: RemovedOut | None = Field(description="The last time gating removed them.")

    @classmethod
    def of(cls, found: UserInChat, blocked: str | None) -> UserChatOut:
        removed = found.removed
        return cls(
            chat_id=found.chat.chat_id,
            title=found.chat.title,
            gated=blocked is None,
            eligible=found.eligible,
            reasons=list(found.reasons),
            status=found.status,
            member=found.status in PRESENT,
            invited=found.invited,
            removed=None if removed is None else RemovedOut(at=removed.at, reason=removed.reason),
        )


class ChangeOut(BaseModel):
    action: Literal["invite", "remove", "revoke_invite"]
    telegram_id: int
    user_id: int | None
    reason: str | None
    invite_name: str | None = None


class ReportOut(BaseModel):
    telegram_id: int
    user_id: int | None
    reason: str


class PlanOut(BaseModel):
    chat_id: int
    title: str | None
    skipped: str | None = Field(description="Why nothing is planned for this chat.")
    changes: list[ChangeOut]
    reports: list[ReportOut] = Field(description="Wrong, but the chat's settings say leave it.")

    @classmethod
    def of(cls, plan: Plan, title: str | None) -> PlanOut:
        changes = []
        for change in plan.changes:
            if isinstance(change, Invite):
                changes.append(ChangeOut(action="invite", reason=None, **_who(change)))
            elif isinstance(change, Remove):
                changes.append(ChangeOut(action="remove", reason=change.reason, **_who(change)))
            else:
                changes.append(
                    ChangeOut(
                        action="revoke_invite",
                        reason=change.reason,
                        invite_name=change.name,
                        **_who(change),
                    )
                )
        return cls(
            chat_id=plan.chat_id,
            title=title,
            skipped=plan.skipped,
            changes=changes,
            reports=[
                ReportOut(telegram_id=r.telegram_id, user_id=r.user_id, reason=r.reason)
                for r in plan.reports
            ],
        )


def _who(change: Any) -> dict[str, Any]:
    return {"telegram_id": change.telegram_id, "user_id": change.user_id}


class UserChatsOut(BaseModel):
    site_user_id: str
    user_id: int
    chats: list[UserChatOut]


# -- read from the use case -----------------------------------------------------------------


async def user_chats(gating: GatingService, user_id: int) -> list[UserChatOut]:
    """Where the account stands in each chat that has a rule."""
    return [UserChatOut.of(f, f.blocked) for f in await gating.user_chats(user_id)]


async def audit(
    gating: GatingService,
    *,
    chat_id: int | None = None,
    user_id: int | None = None,
    limit: int = 100,
) -> list[AuditOut]:
    """The trail, newest first, each entry with its account's name and site id."""
    lines = await gating.audit_trail(chat_id=chat_id, user_id=user_id, limit=limit)
    return [AuditOut.of(line.entry, line.user) for line in lines]


async def set_rule(gating: GatingService, chat_id: int, body: RuleIn) -> ChatOut:
    view = await gating.set_rule(chat_id, body.rule(), managed=body.managed)
    return ChatOut.of(view)


async def plans(gating: GatingService) -> list[PlanOut]:
    report = await gating.reconcile(dry_run=True)
    titles = {view.chat.chat_id: view.chat.title for view in await gating.chats()}
    found = () if report is None else report.plans
    return [PlanOut.of(p, titles.get(p.chat_id)) for p in found]
