"""The platforms' log folders in the temporary directory go after a run that passed and are named
after one that failed (the plugin's session hooks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TEST = '''
import tempfile
from pathlib import Path

from settle_testing import platform


def test_a_platform_logs(tmp_path):
    log_dir = Path(tempfile.mkdtemp(prefix="settle-e2e-"))  # as start_platform makes it
    (log_dir / "billing.log").write_text("started")
    platform.log_dirs.append(log_dir)
    Path("{record}").write_text(str(log_dir))
    assert {passes}
'''


@pytest.mark.parametrize("passes", [True, False])
def test_log_folders_go_after_a_passing_run_and_are_named_after_a_failing_one(pytester, passes):
    record = pytester.path / "log_dir.txt"
    pytester.makepyfile(test_run=TEST.format(record=record, passes=passes))
    result = pytester.runpytest_subprocess("-p", "settle_testing.plugin", "-p", "no:cacheprovider")
    log_dir = Path(record.read_text())
    try:
        if passes:
            result.assert_outcomes(passed=1)
            assert not log_dir.exists()
        else:
            result.assert_outcomes(failed=1)
            assert (log_dir / "billing.log").read_text() == "started"
            assert re.search(rf"logs of the platforms this run started.*\n{re.escape(str(log_dir))}\n", result.stdout.str())
    finally:
        if log_dir.exists():
            for file in log_dir.iterdir():
                file.unlink()
            log_dir.rmdir()
