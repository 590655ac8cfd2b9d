"""The events billing consumes: the one list."""

from settle_contracts.messaging import ConversationCreated, ProjectCreated, ProjectMemberAdded
from settle_kit.bus.subscriptions import Subscriptions

from billing.membership import handlers as membership

SUBSCRIPTIONS = Subscriptions(
    {
        ProjectCreated: membership.on_project_created,
        ProjectMemberAdded: membership.on_project_member_added,
        ConversationCreated: membership.on_conversation_created,
    }
)
