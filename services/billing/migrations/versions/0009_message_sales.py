"""Sales of paid messages: a seller's transfer for a sale paid in credits has no card payment
behind it (funded from the platform's balance by the credits debit), so a transfer's payment
may be absent.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("transfers", "payment_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM transfers WHERE payment_id IS NULL")
    op.alter_column("transfers", "payment_id", nullable=False)
