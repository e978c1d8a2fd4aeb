"""Small helpers shared by the synth tests."""

from __future__ import annotations

from pathlib import Path


def read(out: Path, name: str) -> str:
    return (out / name).read_text(encoding="utf-8")
