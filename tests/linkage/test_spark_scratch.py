"""The Spark engine's scratch folder does not outlive the process, even when one process (a server,
a test worker) opens several sessions: Spark writes later sessions into the first one's folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TWO_SESSIONS = """
from caseweave.linkage.splink_engine import open_engine
for _ in range(2):
    with open_engine("spark") as run:
        assert run.api.spark.range(3).count() == 3
"""


@pytest.mark.slow
def test_spark_sessions_leave_no_scratch_folder(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-c", TWO_SESSIONS], env=env, check=True, capture_output=True, timeout=300
    )
    assert sorted(path.name for path in tmp_path.glob("caseweave-spark-*")) == []
