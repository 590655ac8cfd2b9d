from settle_kit.migrations import run_env

from notifications.models import Base

run_env(Base.metadata)
