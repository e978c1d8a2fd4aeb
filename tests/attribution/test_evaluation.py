"""Attribution judged against a generated operation's truth countries, beside the naive rule
"phone country, else IP geolocation, else e-mail ccTLD": the generator's traps (a phone kept
from another country, a stay abroad) mislead the rule, not caseweave."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from caseweave.actor import Actor
from caseweave.attribution import evaluation
from caseweave.attribution.geo import open_provider
from caseweave.attribution.service import attribute_subjects
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.demo.referrals import import_folder
from caseweave.errors import Forbidden, Invalid
from caseweave.linkage.evaluation import load_truth
from caseweave.linkage.export import predicted_subjects
from caseweave.linkage.service import link_operation
from caseweave.synth import write_operation
from tests.support.cli import fails, ok
from tests.support.roundtrip import demo_operation
from tests.support.world import build_world

SUBJECTS, COUNTRIES, SEED = 120, 8, 3


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("attribution-eval")
    write_operation(out, subjects=SUBJECTS, countries=COUNTRIES, seed=SEED)
    return out


def test_most_subjects_are_allocated_rightly_and_ahead_of_the_naive_rule(
    db: Database, settings: Settings, files: Path, database_url: str, tmp_path: Path
) -> None:
    operator = Actor.cli()
    with db.transaction() as session:
        operation = demo_operation(session)
        import_folder(session, operator, operation, files, lambda name: None)
        link_operation(session, operator, settings, operation.id, full=True)
        attribute_subjects(session, operator, settings, operation.id)
        op_id = operation.id
    countries = evaluation.truth_countries(files / "truth.json")
    traps = [s for s in _truth_subjects(files) if s["trips"] or s["flags"]["phone_country"]]
    assert len(traps) >= SUBJECTS // 10  # the operation holds the traps this test is about
    geo = open_provider(settings)
    with db.transaction() as session:
        predicted = predicted_subjects(session, operator, op_id)
        true = evaluation.true_country_by_subject(predicted, load_truth(files / "truth.json"), countries)
        ours = evaluation.score(evaluation.allocated(session, operator, op_id), true)
        naive = evaluation.score(evaluation.naive(session, operator, op_id, geo), true)
    geo.close()
    assert ours.coverage >= 0.8 and ours.accuracy >= 0.95, ours
    assert ours.right > naive.right and ours.accuracy > naive.accuracy, (ours, naive)

    printed = ok(
        database_url, "eval", "attribution", "--operation", "1", "--truth", str(files / "truth.json")
    )
    figures = dict(re.findall(r"(caseweave|naive rule)\W+\d+\W+[\d.]+%\W+\d+\W+([\d.]+)%", printed))
    assert figures == {
        "caseweave": f"{ours.accuracy:.1%}"[:-1],
        "naive rule": f"{naive.accuracy:.1%}"[:-1],
    }, printed
    # anyone's truth as a CSV: each record's ref, file, person and the person's country
    as_csv = tmp_path / "truth.csv"
    with as_csv.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["file", "record_ref", "entity_id", "country"])
        for (file, ref), person in load_truth(files / "truth.json").items():
            out.writerow([file, ref, person, countries[person]])
    from_csv = ok(database_url, "eval", "attribution", "--operation", "1", "--truth", str(as_csv))
    assert dict(re.findall(r"(caseweave|naive rule)\W+\d+\W+[\d.]+%\W+\d+\W+([\d.]+)%", from_csv)) == figures
    refused = fails(
        database_url, "eval", "attribution", "--operation", "1", "--truth", str(files / "nope.json")
    )
    assert "nope.json: no subjects with countries in it" in refused, refused


def test_only_the_operator_scores_attribution(db: Database, settings: Settings) -> None:
    """Scoring reads every subject across need-to-know: no user may, however senior."""
    world = build_world(db, settings, roles=("coordinator",))
    with db.transaction() as session:
        coordinator = Actor.for_user(session.merge(world.user("LEAD", "coordinator")))
        with pytest.raises(Forbidden):
            evaluation.allocated(session, coordinator, world.operation_id)
        with pytest.raises(Forbidden):
            evaluation.naive(session, coordinator, world.operation_id, open_provider(settings))


def test_a_subject_scores_against_the_person_most_of_its_records_belong_to() -> None:
    predicted = {("a", "1"): "SUB-1", ("a", "2"): "SUB-1", ("b", "1"): "SUB-1", ("b", "2"): "SUB-2"}
    truth = {("a", "1"): "S-1", ("a", "2"): "S-1", ("b", "1"): "S-2", ("c", "9"): "S-3"}
    true = evaluation.true_country_by_subject(predicted, truth, {"S-1": "GB", "S-2": "FR", "S-3": "DE"})
    assert true == {"SUB-1": "GB"}  # SUB-2's record is in no truth: not scored
    assert evaluation.score({"SUB-1": "GB"}, true) == evaluation.AttributionScore(1, 1, 1)
    assert evaluation.score({"SUB-1": None}, true) == evaluation.AttributionScore(1, 0, 0)
    assert evaluation.score({"SUB-1": "FR"}, true).accuracy == 0.0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("record_ref,entity_id\nr1,P1\n", "line 1: scoring attribution needs a country column"),
        ("record_ref,entity_id,country\nr1,P1,GB\nr2,P1,FR\n", "line 3: entity 'P1' is given two countries"),
        ("record_ref,entity_id,country\nr1,P1,Britain\n", "line 2: country 'Britain' is not an ISO 3166"),
    ],
)
def test_a_truth_csv_without_clear_countries_is_refused_naming_the_line(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Invalid, match=re.escape(says)):
        evaluation.truth_countries(path)
    path.write_text("record_ref,entity_id,country\nr1,P1,gb\n", encoding="utf-8")
    assert evaluation.truth_countries(path) == {"P1": "GB"}


def _truth_subjects(files: Path) -> list[dict[str, Any]]:
    subjects: list[dict[str, Any]] = json.loads((files / "truth.json").read_text())["subjects"]
    return subjects
