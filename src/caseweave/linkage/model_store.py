"""Trained models, one active per operation: Splink's parameters in an envelope, checked by sha256.

`model_json` is {"format", "splink_version", "engine", "records", "model": Splink's model dict};
`sha256` is the digest of that text. Loading checks the digest, the envelope and the model (all
probabilities in (0, 1], this code's comparisons and levels): Splink itself accepts an m
probability of 7.5 and only fails deep inside a prediction on others.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseweave.linkage.models import LinkageModel


@dataclass(frozen=True)
class StoredModel:
    id: int
    records: int
    engine: str
    model: dict[str, Any]


def latest(session: Session, operation_id: int) -> LinkageModel | None:
    """The operation's active model, if any."""
    return session.scalars(
        select(LinkageModel)
        .where(LinkageModel.operation_id == operation_id, LinkageModel.active.is_(True))
        .order_by(LinkageModel.id.desc())
        .limit(1)
    ).first()


def load(row: LinkageModel, dialect: str) -> StoredModel:
    """The stored model, or ModelError saying what is wrong with it."""
    # imported here: most commands never touch a model, and Splink costs ~100 ms at start-up
    from caseweave.linkage.splink_settings import MODEL_FORMAT, ModelError, check_model

    text = row.model_json or ""
    if hashlib.sha256(text.encode()).hexdigest() != row.sha256:
        raise ModelError("its sha256 does not match: altered or damaged")
    try:
        envelope = json.loads(text)
    except ValueError as error:
        raise ModelError(f"not JSON: {error}") from None
    if not isinstance(envelope, dict) or envelope.get("format") != MODEL_FORMAT:
        raise ModelError(f"not a {MODEL_FORMAT} model")
    return StoredModel(row.id, row.records, row.engine, check_model(envelope.get("model"), dialect))


def save(
    session: Session, operation_id: int, engine: str, records: int, model: dict[str, Any]
) -> LinkageModel:
    """Store a newly trained model as the operation's active one (older ones become inactive)."""
    import splink  # here, not at the top: see load

    from caseweave.linkage.splink_settings import MODEL_FORMAT

    envelope = {
        "format": MODEL_FORMAT,
        "splink_version": splink.__version__,
        "engine": engine,
        "records": records,
        "model": model,
    }
    text = json.dumps(envelope, sort_keys=True)
    session.execute(
        update(LinkageModel)
        .where(LinkageModel.operation_id == operation_id, LinkageModel.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    row = LinkageModel(
        operation_id=operation_id,
        engine=engine,
        records=records,
        model_json=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        active=True,
    )
    session.add(row)
    session.flush()
    return row
