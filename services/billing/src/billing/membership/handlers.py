"""Keeps the membership copy in step with messaging. Inserts are idempotent on their own too."""

from settle_contracts.messaging import ConversationCreated, ProjectCreated, ProjectMemberAdded
from settle_kit.bus.uow import UnitOfWork

from billing.membership.repository import MembershipRepository


async def on_project_created(event: ProjectCreated, uow: UnitOfWork) -> None:
    await MembershipRepository(uow.session).add_project_members(event.project_id, event.member_ids)


async def on_project_member_added(event: ProjectMemberAdded, uow: UnitOfWork) -> None:
    await MembershipRepository(uow.session).add_project_members(event.project_id, [event.user_id])


async def on_conversation_created(event: ConversationCreated, uow: UnitOfWork) -> None:
    await MembershipRepository(uow.session).add_conversation_participants(
        event.conversation_id, event.project_id, event.participant_ids
    )
