"""Score a clustering against ground truth: pairwise and cluster precision, recall and F1.

Records are keyed by (file name, the file's own record id), the way `truth.json` of
`caseweave synth operation` and `caseweave subjects export` name them, so anyone can score an
export with their own truth. Pair counts come from the contingency table (sum of n·(n-1)/2), never
from listing pairs, so a million records score in a second.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from caseweave.errors import Invalid

K = TypeVar("K", bound=Hashable)
RecordKey = tuple[str, str]  # (file name, record id in that file)
PERSON_KINDS = {"person", "account"}  # truth kinds that are person records (not single selectors)


@dataclass(frozen=True)
class Scores:
    records: int
    pairs_predicted: int
    pairs_true: int
    pairs_correct: int
    clusters_predicted: int
    clusters_true: int
    clusters_exact: int

    @staticmethod
    def _ratio(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    @staticmethod
    def _f1(precision: float, recall: float) -> float:
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @property
    def pair_precision(self) -> float:
        return self._ratio(self.pairs_correct, self.pairs_predicted)

    @property
    def pair_recall(self) -> float:
        return self._ratio(self.pairs_correct, self.pairs_true)

    @property
    def pair_f1(self) -> float:
        return self._f1(self.pair_precision, self.pair_recall)

    @property
    def cluster_precision(self) -> float:
        return self._ratio(self.clusters_exact, self.clusters_predicted)

    @property
    def cluster_recall(self) -> float:
        return self._ratio(self.clusters_exact, self.clusters_true)

    @property
    def cluster_f1(self) -> float:
        return self._f1(self.cluster_precision, self.cluster_recall)

    def table(self) -> list[tuple[str, float, float, float]]:
        return [
            ("pairwise", self.pair_precision, self.pair_recall, self.pair_f1),
            ("cluster", self.cluster_precision, self.cluster_recall, self.cluster_f1),
        ]


def _pairs(group_sizes: Counter[Any]) -> int:
    return sum(n * (n - 1) // 2 for n in group_sizes.values())


def score(predicted: Mapping[K, Hashable], truth: Mapping[K, Hashable]) -> Scores:
    """Compare two labellings of the same records (only records both label are scored)."""
    keys = [key for key in predicted if key in truth]
    joint = Counter((predicted[key], truth[key]) for key in keys)
    by_predicted = Counter(predicted[key] for key in keys)
    by_truth = Counter(truth[key] for key in keys)
    members: dict[Hashable, set[K]] = defaultdict(set)
    true_members: dict[Hashable, set[K]] = defaultdict(set)
    for key in keys:
        members[predicted[key]].add(key)
        true_members[truth[key]].add(key)
    true_sets = {frozenset(group) for group in true_members.values()}
    exact = sum(1 for group in members.values() if frozenset(group) in true_sets)
    return Scores(
        records=len(keys),
        pairs_predicted=_pairs(by_predicted),
        pairs_true=_pairs(by_truth),
        pairs_correct=_pairs(joint),
        clusters_predicted=len(by_predicted),
        clusters_true=len(by_truth),
        clusters_exact=exact,
    )


def load_truth(path: Path) -> dict[RecordKey, str]:
    """(file, ref) → true subject, for person-level records listed for exactly one subject: from a
    `truth.json`, or from a CSV with columns `record_ref,entity_id` and optionally `file` (without it
    the file is ANY_FILE, and records are matched by their ref alone: see `by_ref_alone`)."""
    if path.suffix.lower() == ".csv":
        return _load_truth_csv(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        records = document["records"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Invalid(f"{path}: not a caseweave truth file ({error})", field="truth") from None
    owners: dict[RecordKey, set[str]] = defaultdict(set)
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not {"file", "ref", "kind"} <= record.keys():
            raise Invalid(f"{path}: records[{index}] lacks file, ref or kind", field="records")
        if record["kind"] in PERSON_KINDS and record.get("subject"):
            owners[(str(record["file"]), str(record["ref"]))].add(str(record["subject"]))
    return {key: next(iter(subjects)) for key, subjects in owners.items() if len(subjects) == 1}


ANY_FILE = ""  # a truth CSV without a file column names records by their ref alone


@contextmanager
def truth_csv(path: Path) -> Iterator[csv.DictReader[str]]:
    """A truth CSV's rows; a file that cannot be read as CSV text is refused naming it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield csv.DictReader(handle)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise Invalid(f"{path}: not a readable truth CSV ({error})", field="truth") from None


def _load_truth_csv(path: Path) -> dict[RecordKey, str]:
    owners: dict[RecordKey, set[str]] = defaultdict(set)
    with truth_csv(path) as rows:
        missing = {"record_ref", "entity_id"} - set(rows.fieldnames or ())
        if missing:
            raise Invalid(
                f"{path}: line 1: a truth CSV needs the columns record_ref and entity_id "
                f"(missing: {', '.join(sorted(missing))}; optional: file)",
                field="truth",
            )
        for row in rows:
            ref, entity = (row.get("record_ref") or "").strip(), (row.get("entity_id") or "").strip()
            if not ref or not entity:
                raise Invalid(
                    f"{path}: line {rows.line_num}: record_ref and entity_id must both be given",
                    field="record_ref" if not ref else "entity_id",
                )
            owners[((row.get("file") or ANY_FILE).strip(), ref)].add(entity)
    return {key: next(iter(entities)) for key, entities in owners.items() if len(entities) == 1}


def keyed_like(
    truth: Mapping[RecordKey, str], predicted: Mapping[RecordKey, str]
) -> tuple[dict[RecordKey, str], int]:
    """`predicted` keyed as the truth keys its records: by (file, ref), or by ref alone where the
    truth names no files (`by_ref_alone`); and how many refs were left out as ambiguous."""
    if truth and all(file == ANY_FILE for file, _ in truth):
        return by_ref_alone(predicted)
    return dict(predicted), 0


def through_shared_exit(
    kind: str, value: str | None, parts: Mapping[str, Any] | None, shared_ips: set[str], exits: set[str]
) -> bool:
    """A link made through a VPN, Tor or CGNAT address: a selector link on one, or a model link whose
    IP comparison counted for it while every address the two records share is such an exit."""
    if kind == "selector":
        return value in exits
    by_ip = (parts or {}).get("ip", {}).get("match_weight", 0) > 0
    return bool(by_ip and shared_ips and shared_ips <= exits)


def by_ref_alone(predicted: Mapping[RecordKey, str]) -> tuple[dict[RecordKey, str], int]:
    """`predicted` keyed (ANY_FILE, ref), for a truth that names records by ref alone; a ref two files
    share is ambiguous and left out. Returns it and how many refs were left out."""
    files: dict[str, set[str]] = defaultdict(set)
    for file, ref in predicted:
        files[ref].add(file)
    kept = {(ANY_FILE, ref): subject for (file, ref), subject in predicted.items() if len(files[ref]) == 1}
    return kept, sum(1 for names in files.values() if len(names) > 1)
