"""Probabilistic person linkage (Splink): train per operation, predict, store links with their parts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from caseweave.config import Settings


@dataclass(frozen=True)
class Prediction:
    links: int  # probabilistic links stored in this run
    note: str | None = None  # what happened to the model: trained, loaded, retrained because …


NO_PREDICTION = Prediction(0, "probabilistic linkage not run")


def predict_links(
    session: Session,
    settings: Settings,
    operation_id: int,
    record_ids: Sequence[int] | None,
    *,
    run_id: int,
    engine: str = "duckdb",
    retrain: bool = False,
) -> Prediction:
    """Store probabilistic links of record_ids (None: all) against the operation; see module text."""
    return NO_PREDICTION
