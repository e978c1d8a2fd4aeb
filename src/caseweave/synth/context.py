"""What every writer shares: the rng, the population, the truth writer and the list of files written."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from caseweave.synth.people import Population
from caseweave.synth.truth import TruthWriter


@dataclass
class Context:
    rng: random.Random
    population: Population
    truth: TruthWriter
    out: Path
    files: list[str] = field(default_factory=list)

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def path(self, name: str) -> Path:
        self.files.append(name)
        return self.out / name
