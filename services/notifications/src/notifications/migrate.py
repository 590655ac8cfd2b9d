"""`python -m notifications.migrate`: create the database when missing and run the migrations."""

from pathlib import Path

from settle_kit.migrations import migrate

from notifications.config import Settings

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"

if __name__ == "__main__":
    migrate(Settings(), ALEMBIC_INI)
