"""One small operation (120 subjects, 35 countries) shared by the synth tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from caseweave.synth import SynthSummary, write_operation


@pytest.fixture(scope="session")
def small_operation(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return write_operation(tmp_path_factory.mktemp("op120"), subjects=120, countries=35, seed=3)


@pytest.fixture(scope="session")
def truth(small_operation: SynthSummary) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((small_operation.out / "truth.json").read_text(encoding="utf-8"))
    return data
