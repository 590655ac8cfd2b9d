from settle_kit.migrations import run_env

from bookings.models import Base

run_env(Base.metadata)
