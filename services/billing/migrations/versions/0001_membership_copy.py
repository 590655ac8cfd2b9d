"""Outbox, inbox, and the membership copy kept from messaging's events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from settle_kit.bus.schema import create_bus_tables, drop_bus_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_bus_tables()
    op.create_table(
        "project_memberships",
        sa.Column("project_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
    )
    op.create_table(
        "conversation_memberships",
        sa.Column("conversation_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("project_id", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("conversation_memberships")
    op.drop_table("project_memberships")
    drop_bus_tables()
