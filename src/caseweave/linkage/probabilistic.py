"""Probabilistic person linkage (Splink): train per operation, predict, store links with their parts.

A full run (record_ids None) trains the operation's model afresh on all its person records, stores
it (linkage.model_store) and scores every pair its blocking rules bring together; with retrain
False it scores them with the stored model instead (one trained on other data, say). An incremental
run loads the stored model and scores only the given records (a new referral's) against all others
of the operation and among themselves (Splink's predict_between / predict_within); a missing,
altered or unloadable model is retrained, and the note says so. Both read the features from the
feature cache where its checks find it still valid (linkage.feature_cache).

Pairs at or above the clustering threshold (Settings.link_match_weight_threshold) are stored as
links of kind "probabilistic" with their match weight, match probability and each comparison's part
({comparison: {"level": label, "match_weight": log2 Bayes factor}}; the match weight is the prior's
log2 odds plus these parts). They replace the probabilistic links the run's records had. A pair
whose evidence is only weak shared tokens (linkage.corroboration) is not linked, however high its
weight; the run counts them (`uncorroborated`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from caseweave.config import Settings
from caseweave.db.bulk import bulk_insert, chunks
from caseweave.intake.models import PersonRecord
from caseweave.linkage import evidence, model_store
from caseweave.linkage.corroboration import corroborated, household_only
from caseweave.linkage.models import Link
from caseweave.linkage.warninglists import build_matcher

if TYPE_CHECKING:
    from caseweave.linkage.feature_cache import FeatureWork, Prepared
    from caseweave.linkage.model_store import StoredModel
    from caseweave.linkage.splink_engine import Engine, ScoredPair

log = logging.getLogger(__name__)
MIN_RECORDS = 50  # fewer person records give EM nothing to learn from
_CHUNK = 500


@dataclass(frozen=True)
class Prediction:
    links: int  # probabilistic links stored in this run
    note: str | None = None  # what happened to the model: trained, loaded, retrained because …
    # those links (a_id, b_id, match weight, evidence), which replaced the run's records' earlier
    # ones; None if the run replaced none (the model was skipped)
    pairs: tuple[tuple[int, int, float, str], ...] | None = None
    uncorroborated: int = 0  # pairs above the threshold not linked: weak shared tokens only

    @property
    def linked(self) -> set[int]:
        """The records the links join."""
        return {record for a_id, b_id, *_ in self.pairs or () for record in (a_id, b_id)}


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
    alongside: Callable[[], None] = lambda: None,
) -> Prediction:
    """Store probabilistic links of record_ids (None: all) against the operation; see module text.

    `alongside` runs exactly once, on this thread, while the model scores on another (DuckDB or
    Spark work without the session, and without Python's lock): the caller's exact correlation,
    which reads and writes through the session meanwhile instead of after."""
    records = session.scalar(
        select(func.count()).select_from(PersonRecord).where(PersonRecord.operation_id == operation_id)
    )
    records = records or 0
    if records < MIN_RECORDS:
        alongside()
        return Prediction(
            0, f"probabilistic linkage skipped: {records} person records, the model needs {MIN_RECORDS}"
        )
    new_ids = None if record_ids is None else sorted(set(record_ids))
    if new_ids is not None and not new_ids:
        alongside()
        return Prediction(0, "probabilistic linkage: no new person records")
    # imported here: most commands never score pairs, and Splink, DuckDB and pyarrow cost ~200 ms
    # at start-up
    from caseweave.linkage.feature_cache import start_features
    from caseweave.linkage.splink_engine import RECORDS, NotTrainable, open_engine, predict

    matcher = build_matcher(session)
    threshold = settings.link_match_weight_threshold
    with open_engine(engine) as run:
        features = start_features(
            run.con,
            RECORDS,
            session,
            settings,
            operation_id,
            excluded=lambda selector_type, value: matcher.match(selector_type, value) is not None,
        )  # a full run too keeps a cache its checks vouch for: stored records never change
        stored = None if retrain else _stored_model(session, operation_id, run)[0]
        # leaving the pool waits for the scoring thread, also when `alongside` raises
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="caseweave-scoring") as pool:
            if stored is not None:  # new records' features are merged on the scoring thread too
                scoring = pool.submit(
                    _merge_and_score, run, operation_id, features, stored, new_ids, threshold
                )
                note = _loaded(stored)
            else:
                _log_features(operation_id, features.finish_or_in_memory())
                try:
                    linker, note = _linker(session, operation_id, run, records, retrain=retrain)
                except NotTrainable as error:
                    alongside()
                    return Prediction(0, f"probabilistic linkage skipped: {error}")
                scoring = pool.submit(predict, run, linker, new_ids, threshold=threshold)
            alongside()
            pairs = scoring.result()
            if pairs is None:  # the cache file or the stored model failed there: again, with the session
                _log_features(operation_id, features.finish_or_in_memory())
                linker, note = _linker(session, operation_id, run, records, retrain=False)
                pairs = predict(run, linker, new_ids, threshold=threshold)
            kept = _corroborated(run, pairs)  # before the checkpoint: it reads the feature table
            written = pool.submit(features.checkpoint)  # while the links are stored
            replaced = store_links(session, operation_id, run_id, kept, new_ids)
            written.result()
    return Prediction(len(replaced), note, tuple(replaced), uncorroborated=len(pairs) - len(kept))


def _corroborated(run: Engine, pairs: Sequence[ScoredPair]) -> list[ScoredPair]:
    """The pairs that rest on a signal naming a person (linkage.corroboration); a family name at an
    address alone, only where no household is known there (linkage.households)."""
    from caseweave.linkage.households import living_with_others
    from caseweave.linkage.splink_engine import RECORDS

    unsure = [pair for pair in pairs if household_only(pair.contributions)]
    crowded = living_with_others(run.con, RECORDS, (i for p in unsure for i in (p.a_id, p.b_id)))
    return [
        pair
        for pair in pairs
        if corroborated(pair.contributions, alone_at_address=not {pair.a_id, pair.b_id} & crowded)
    ]


def _stored_model(session: Session, operation_id: int, run: Engine) -> tuple[StoredModel | None, str]:
    """The operation's stored model if there is one and it loads, else None and why not."""
    row = model_store.latest(session, operation_id)
    if row is None:
        return None, "no stored model"
    try:
        return model_store.load(row, run.dialect), ""
    except Exception as error:  # Splink reports damaged settings with many unrelated error types
        return None, _corrupt(row.id, error)


def _corrupt(model_id: int, error: Exception) -> str:
    return f"stored model {model_id} was corrupt ({error})"


def _loaded(stored: StoredModel) -> str:
    return f"loaded model {stored.id} ({stored.engine}, trained on {stored.records} records)"


def _merge_and_score(
    run: Engine,
    operation_id: int,
    features: FeatureWork,
    stored: StoredModel,
    new_ids: Sequence[int] | None,
    threshold: float,
) -> list[ScoredPair] | None:
    """On the scoring thread: the features merged and the new records scored with the stored
    model; None if the cache file or the model fails (the caller goes on with the session)."""
    from caseweave.linkage.splink_engine import predict, scoring_linker

    try:
        _log_features(operation_id, features.finish())
        linker = scoring_linker(run, stored.model, run.frame())
    except Exception as error:  # CacheFailed, or damaged settings (Splink raises many error types)
        log.warning("scoring with stored model %s failed (%s): again, with the session", stored.id, error)
        return None
    return predict(run, linker, new_ids, threshold=threshold)


def _log_features(operation_id: int, prepared: Prepared) -> None:
    log.info("features of operation %s: %s rows, %s", operation_id, prepared.records, prepared.how)


def _linker(
    session: Session, operation_id: int, run: Engine, records: int, *, retrain: bool
) -> tuple[Any, str]:
    """A scoring linker with the stored model, or with a newly trained one; and what was done."""
    from caseweave.linkage.splink_engine import scoring_linker, train  # see predict_links

    stored, reason = (None, "") if retrain else _stored_model(session, operation_id, run)
    if stored is not None:
        try:
            linker = scoring_linker(run, stored.model, run.frame())
        except Exception as error:  # as in _stored_model
            reason = _corrupt(stored.id, error)
        else:
            return linker, _loaded(stored)
    trained = train(run, records)
    saved = model_store.save(session, operation_id, run.name, records, trained)
    linker = scoring_linker(run, trained, run.frame())
    if retrain:
        return linker, f"trained model {saved.id} on {records} records ({run.name})"
    return linker, f"{reason}; retrained on {records} records (model {saved.id}, {run.name})"


def store_links(
    session: Session,
    operation_id: int,
    run_id: int,
    pairs: Sequence[ScoredPair],
    new_ids: Sequence[int] | None,
) -> list[tuple[int, int, float, str]]:
    """Replace the probabilistic links of the run's records (None: the operation's) with pairs;
    those stored (a_id, b_id, match weight, evidence)."""
    probabilistic = Link.kind == "probabilistic"
    if new_ids is None:
        session.execute(delete(Link).where(Link.operation_id == operation_id, probabilistic))
    else:
        for chunk in chunks(new_ids, _CHUNK):
            session.execute(
                delete(Link).where(probabilistic, or_(Link.a_id.in_(chunk), Link.b_id.in_(chunk)))
            )
    stored = [
        (pair.a_id, pair.b_id, pair.match_weight, evidence.probable_match(pair.contributions))
        for pair in pairs
    ]
    rows = [
        {
            "operation_id": operation_id,
            "a_id": a_id,
            "b_id": b_id,
            "kind": "probabilistic",
            "match_weight": weight,
            "match_probability": pair.match_probability,
            "contributions": pair.contributions,
            "evidence": label,
            "run_id": run_id,
        }
        for pair, (a_id, b_id, weight, label) in zip(pairs, stored, strict=True)
    ]
    bulk_insert(session, Link.__table__, rows)  # type: ignore[arg-type]
    return stored
