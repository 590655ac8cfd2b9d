from settle_kit.migrations import run_env

from messaging.models import Base

run_env(Base.metadata)
