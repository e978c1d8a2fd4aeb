"""Imports one after another in one process (a server, a folder of hundreds of files) leave nothing
behind: the objects the collector tracks do not grow with the number of files imported."""

from __future__ import annotations

import gc
import io

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.service import import_referral
from tests.intake.test_import_service import GOOD, HEADER
from tests.support.world import build_world

IMPORTS = 400


def test_the_objects_left_after_many_imports_do_not_grow_with_them(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    actor = Actor.for_user(world.user("LEAD", "analyst"))

    def import_one(n: int) -> None:
        line = f"chatapp,{5000 + n},user{n},,user{n}@example.org,,,,198.51.100.9,443,2025-03-03T08:00:00Z\n"
        with db.transaction() as session:
            content = io.BytesIO((HEADER + "".join(GOOD) + line).encode())
            import_referral(session, actor, world.operation_id, content, f"return-{n}.csv")

    for n in range(50):  # caches of statements and of the app fill up first
        import_one(n)
    before = len(gc.get_objects())
    for n in range(50, 50 + IMPORTS):
        import_one(n)
    # Before the fix, every import left about five objects for a full collection that never came.
    assert len(gc.get_objects()) - before < IMPORTS // 4
