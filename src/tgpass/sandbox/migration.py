"""A basic group upgraded to a supergroup, as Telegram does it.

The supergroup gets a new id (``-100...``) and takes the group's members, links and pending
join requests. Bots in the group get two service messages: ``migrate_to_chat_id`` in the old
group, then ``migrate_from_chat_id`` in the new supergroup. From then on, any method called
with the old id answers 400 ``Bad Request: group chat was upgraded to a supergroup chat`` with
``parameters.migrate_to_chat_id``.
"""

from __future__ import annotations

import copy

from .errors import Invalid, Refused
from .membership import service_message
from .world import Chat, World


def upgrade_group(world: World, chat_id: int, actor_id: int | None = None) -> Chat:
    group = world.chat(chat_id)
    if group.type != "group":
        raise Invalid("Only a basic group can be upgraded to a supergroup.", chat_id=chat_id)
    if group.migrated_to is not None:
        raise Invalid(
            "This group was already upgraded to a supergroup.",
            chat_id=chat_id,
            migrate_to_chat_id=group.migrated_to,
        )
    actor = actor_id if actor_id is not None else world._owner(group)
    if not group.is_member(actor):
        raise Refused(
            f"Only a member of {group.title} can upgrade it.", chat_id=chat_id, user_id=actor
        )
    supergroup = world.add_chat(
        group.title, type="supergroup", owner_id=world._owner(group), username=group.username
    )
    supergroup.members = copy.deepcopy(group.members)
    supergroup.invite_links, group.invite_links = group.invite_links, {}
    supergroup.join_requests, group.join_requests = group.join_requests, {}
    group.username = None
    who = world.participant(actor)
    service_message(world, group, {"from": who, "migrate_to_chat_id": supergroup.id})
    group.migrated_to = supergroup.id  # after the last message the old group gets
    service_message(world, supergroup, {"from": who, "migrate_from_chat_id": group.id})
    return supergroup
