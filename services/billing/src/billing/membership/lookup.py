"""Who belongs where, for authorizing a payment: billing's copy first, messaging when the copy
has not caught up.

Billing's copy of the membership is fed by messaging's events, so it lags: a payment made on the
request right after `POST /v1/conversations`, or to a member just added to a project, would be
refused. When the copy does not know the conversation, or does not hold everyone the caller
expects in a project, messaging is asked (its internal API) before anyone is refused. Strangers
still get nothing: messaging's answer is the truth.

The question is asked with no transaction and no pooled connection held: what the request's
unit of work holds so far (its Idempotency-Key claim, see settle_kit.idempotency) is committed
first, as billing does before a Stripe call; the answer is stored into the copy in the request's
next transaction (idempotently: the event that brings the same rows later inserts nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from settle_kit.bus.uow import UnitOfWork
from settle_kit.errors import ServiceUnavailable

from billing.membership import messaging_client
from billing.membership.messaging_client import ConversationMembers, MessagingUnavailable
from billing.membership.repository import MembershipRepository

RETRY_AFTER_S = 2


class Membership:
    """`MembershipRepository`'s reads, falling back to messaging for what the copy lacks.

    `expected`: the users the caller needs to find (the payer and the payee). A project's members
    grow over time, so the copy is stale for a project when one of them is missing; a
    conversation's participants are fixed when it is made, so the copy is stale only when it does
    not know the conversation at all."""

    def __init__(self, uow: UnitOfWork, expected: Iterable[str]) -> None:
        self._uow = uow
        self._copy = MembershipRepository(uow.session)
        self._expected = frozenset(expected)
        self._conversations: dict[str, ConversationMembers] = {}

    async def conversation_participants(self, conversation_id: str) -> set[str]:
        return set((await self._conversation(conversation_id)).participant_ids)

    async def conversation_project(self, conversation_id: str) -> str | None:
        return (await self._conversation(conversation_id)).project_id

    async def project_members(self, project_id: str) -> set[str]:
        members = await self._copy.project_members(project_id)
        if self._expected <= members:
            return members
        await self._release()
        answer = await self._ask(lambda messaging: messaging.project_members(project_id))
        if not answer:
            return members
        await self._copy.add_project_members(project_id, sorted(answer))
        return members | answer

    async def _conversation(self, conversation_id: str) -> ConversationMembers:
        if conversation_id in self._conversations:
            return self._conversations[conversation_id]
        participants = await self._copy.conversation_participants(conversation_id)
        if participants:
            known = ConversationMembers(await self._copy.conversation_project(conversation_id), frozenset(participants))
        else:
            await self._release()
            known = await self._ask(lambda messaging: messaging.conversation(conversation_id))
            if known is None:
                known = ConversationMembers(None, frozenset())
            else:
                await self._copy.add_conversation_participants(conversation_id, known.project_id, sorted(known.participant_ids))
        self._conversations[conversation_id] = known
        return known

    async def _release(self) -> None:
        # Commits what the request decided so far (nothing but its idempotency claim) and gives
        # the connection back to the pool while messaging is asked.
        if self._uow.session.in_transaction():
            await self._uow.commit()

    async def _ask(self, question):
        try:
            return await question(messaging_client.client_for(self._uow.db))
        except MessagingUnavailable:
            raise ServiceUnavailable(
                "Who takes part in this could not be checked just now; try again.", code="membership_unavailable",
                retry_after_s=RETRY_AFTER_S,
            ) from None
