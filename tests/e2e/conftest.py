import sys
from pathlib import Path

import pytest

from settle_testing.platform import Platform, start_platform

# Shared helpers of the e2e modules (e.g. test_payments) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def platform() -> Platform:
    running = start_platform()
    yield running
    running.stop()
