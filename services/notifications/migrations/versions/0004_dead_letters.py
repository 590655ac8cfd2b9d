"""Dead letters kept for operators (issue 16): messages the consumer gave up on, until replayed or discarded.

Revision ID: 0004
Revises: 0003
"""

from settle_kit.bus.schema import create_dead_letters_table, drop_dead_letters_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letters_table()


def downgrade() -> None:
    drop_dead_letters_table()
