"""The outbox no longer NOTIFYs on insert (see settle_kit.bus.schema.drop_outbox_trigger).

Revision ID: 0003
Revises: 0002
"""

from settle_kit.bus.schema import drop_outbox_trigger

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    drop_outbox_trigger()


def downgrade() -> None:
    pass  # the relay no longer listens, so there is nothing to restore
