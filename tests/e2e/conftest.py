import pytest

from settle_testing.platform import Platform, start_platform


@pytest.fixture(scope="session")
def platform() -> Platform:
    running = start_platform()
    yield running
    running.stop()
