"""The CLI starts fast: loading it pulls in none of the heavy libraries only some commands need.

The test suite and operators start the CLI many times; splink, stix2, reportlab, matplotlib and faiss
are imported where they are used (linkage, STIX intake, PDF packages, stats charts, PDQ matching).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("splink", "stix2", "reportlab", "matplotlib", "faiss")


def test_loading_the_cli_imports_no_heavy_library() -> None:
    probe = f"import sys, caseweave.cli.main; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
