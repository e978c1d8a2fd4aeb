"""The safeguarding queue: open victims by urgency, each place explained, on what the viewer may see."""

from __future__ import annotations

from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.victims import service
from caseweave.victims.queue import safeguarding_queue
from tests.victims.helpers import build


def test_queue_orders_by_urgency_and_explains(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    lead = scene.actor("LEAD")
    with db.transaction() as session:
        streamed = service.add_victim(session, lead, scene.op, pseudonym="Child L").public_id or ""
        service.link_victim(session, lead, streamed, "referral", str(scene.tip_id))
        known = service.add_victim(session, lead, scene.op, pseudonym="Child K").public_id or ""
        service.link_victim(session, lead, known, "subject", scene.subjects["viewer"])
        service.set_status(session, lead, known, "identified")
        quiet = service.add_victim(session, lead, scene.op, pseudonym="Child Q").public_id or ""
        done = service.add_victim(session, lead, scene.op, pseudonym="Child S").public_id or ""
        service.set_status(session, lead, done, "safeguarded")
    with db.transaction() as session:
        queue = safeguarding_queue(session, lead, settings, scene.op)
    # fresh material (recency, up to 20) outweighs "not yet identified" (10); the safeguarded child has left
    assert [i.victim for i in queue] == [streamed, known, quiet]
    assert [i.rank for i in queue] == [1, 2, 3]
    top = {p.factor: p for p in queue[0].parts}
    assert set(top) == {"live", "new_material", "recency", "unidentified"}
    assert "'ongoing'" in top["live"].why or "'live'" in top["live"].why
    assert top["new_material"].why == "2 media hash(es) matched to no bank"
    assert top["live"].points == settings.safeguarding_weight_live
    assert queue[0].score == round(sum(p.points for p in queue[0].parts), 2)
    assert [p.factor for p in queue[1].parts] == ["recency"]  # platform return imported today
    assert [p.factor for p in queue[2].parts] == ["unidentified"]


def test_queue_weights_come_from_settings(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    lead = scene.actor("LEAD")
    with db.transaction() as session:
        ref = service.add_victim(session, lead, scene.op, pseudonym="Child W").public_id or ""
        service.link_victim(session, lead, ref, "referral", str(scene.tip_id))
    heavy = settings.model_copy(
        update={"safeguarding_weight_live": 500.0, "safeguarding_weight_new_material": 0}
    )
    with db.transaction() as session:
        item = safeguarding_queue(session, lead, heavy, scene.op)[0]
    assert {p.factor: p.points for p in item.parts}["live"] == 500.0
    assert "new_material" not in {p.factor for p in item.parts}


def test_queue_shows_only_what_the_viewer_may_see(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    with db.transaction() as session:
        service.add_victim(session, scene.actor("LEAD"), scene.op, pseudonym="Child P")
    with db.transaction() as session:
        assert safeguarding_queue(session, scene.actor("PARTNER"), settings, scene.op) == []
