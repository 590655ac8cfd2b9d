"""Test support shared by every package's tests (loaded as the pytest plugin `settle_testing.plugin`)."""
