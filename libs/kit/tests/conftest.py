import sys
from pathlib import Path

import pytest

# Test helpers beside this file (bus_fixtures, bus_worker) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))

from bus_fixtures import prepare_database  # noqa: E402
from settle_kit.db import Database  # noqa: E402


@pytest.fixture
async def world(database_factory, bus_namespace):
    """Two services' databases ('alpha' emits, 'beta' consumes) and a bus namespace of their own."""
    alpha_url, beta_url = await database_factory("alpha"), await database_factory("beta")
    for url in (alpha_url, beta_url):
        await prepare_database(url)
    bus_namespace.services.add("beta")
    alpha_db, beta_db = Database(alpha_url), Database(beta_url)
    yield alpha_db, beta_db, bus_namespace
    await alpha_db.dispose()
    await beta_db.dispose()
