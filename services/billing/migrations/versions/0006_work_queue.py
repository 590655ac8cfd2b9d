"""Background work on the kit's queue (settle_kit.work_queue): stored Stripe events and Stripe tasks.

- Stored Stripe events get a `status` (`pending`, `running` while claimed, `done`, `dead`): those
  processed are `done`; those the old loop silently gave up on (12 attempts) are `dead`, where an
  operator now sees and retries them.
- Stripe tasks that were `failed` are `dead` (the same word for every queue); `running` is new.
- What is due is found by a partial index on `next_attempt_at` over `pending` and `running` rows
  (a running row past its claim is due again).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATUSES = "status IN ('pending', 'running', 'done', 'dead')"
DUE = sa.text("status IN ('pending', 'running')")


def upgrade() -> None:
    op.add_column("stripe_events", sa.Column("status", sa.String(20), nullable=False, server_default="pending"))
    op.execute("UPDATE stripe_events SET status = 'done' WHERE processed_at IS NOT NULL")
    op.execute(
        "UPDATE stripe_events SET status = 'dead', last_error = coalesce(last_error, 'gave up') "
        "WHERE processed_at IS NULL AND attempts >= 12"
    )
    op.create_check_constraint("status", "stripe_events", STATUSES)
    op.drop_index("ix_stripe_events_due", "stripe_events")
    op.create_index("ix_stripe_events_due", "stripe_events", ["next_attempt_at"], postgresql_where=DUE)
    # The operator's list of failed events, newest first (partial: the index costs nothing to
    # the events that go through, each of which changes status twice).
    op.create_index("ix_stripe_events_dead", "stripe_events", ["received_at"], postgresql_where=sa.text("status = 'dead'"))

    op.drop_constraint("status", "stripe_tasks", type_="check")
    op.execute("UPDATE stripe_tasks SET status = 'dead' WHERE status = 'failed'")
    op.create_check_constraint("status", "stripe_tasks", STATUSES)
    op.alter_column("stripe_tasks", "status", server_default="pending")
    op.drop_index("ix_stripe_tasks_due", "stripe_tasks")
    op.create_index("ix_stripe_tasks_due", "stripe_tasks", ["next_attempt_at"], postgresql_where=DUE)
    op.create_index("ix_stripe_tasks_dead", "stripe_tasks", ["created_at"], postgresql_where=sa.text("status = 'dead'"))


def downgrade() -> None:
    op.drop_index("ix_stripe_tasks_dead", "stripe_tasks")
    op.drop_index("ix_stripe_tasks_due", "stripe_tasks")
    op.create_index("ix_stripe_tasks_due", "stripe_tasks", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'"))
    op.alter_column("stripe_tasks", "status", server_default=None)
    op.drop_constraint("status", "stripe_tasks", type_="check")
    op.execute("UPDATE stripe_tasks SET status = 'failed' WHERE status = 'dead'")
    op.execute("UPDATE stripe_tasks SET status = 'pending' WHERE status = 'running'")
    op.create_check_constraint("status", "stripe_tasks", "status IN ('pending', 'done', 'failed')")

    op.drop_index("ix_stripe_events_dead", "stripe_events")
    op.drop_index("ix_stripe_events_due", "stripe_events")
    op.create_index("ix_stripe_events_due", "stripe_events", ["next_attempt_at"], postgresql_where=sa.text("processed_at IS NULL"))
    op.drop_constraint("status", "stripe_events", type_="check")
    op.drop_column("stripe_events", "status")
