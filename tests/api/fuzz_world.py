"""What schemathesis needs of the seeded operation: who calls, with fresh credentials, and the ids that
exist, so that generated requests reach past 404 as well as try values that exist nowhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st
from sqlalchemy import update

from caseweave.actor import Actor
from caseweave.auth import service as auth
from caseweave.auth.models import User
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.access.matrix_world import MatrixWorld

# (agency, role): the lead's two kinds of user, a partner, an outsider, the auditor and a platform admin.
CALLERS = (
    ("LEAD", "coordinator"),
    ("LEAD", "analyst"),
    ("PARTNER", "analyst"),
    ("OUTSIDER", "coordinator"),
    ("LEAD", "auditor"),
    ("LEAD", "platform_admin"),
)


@dataclass
class FuzzWorld:
    """Bearer headers per caller and known values per path parameter name."""

    db: Database
    settings: Settings
    matrix: MatrixWorld
    headers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def refresh(self) -> None:
        """New tokens for every caller, and accounts enabled again: a generated request may have logged
        out, revoked a token or disabled one of them, which would leave the rest unauthenticated."""
        operator = Actor.cli()
        world = self.matrix.world
        with self.db.transaction() as session:
            ids = [world.user(*caller).id for caller in CALLERS]
            session.execute(update(User).where(User.id.in_(ids)).values(disabled=False))
            for caller in CALLERS:
                issued = auth.create_api_token(
                    session,
                    operator,
                    self.settings,
                    username=world.user(*caller).username,
                    name="fuzz",
                    days=1,
                )
                self.headers[caller] = {"Authorization": f"Bearer {issued.secret}"}

    def known(self) -> dict[str, list[str]]:
        """Values that exist, per path parameter name (and the operation ids)."""
        values: dict[str, list[str]] = {"operation_id": [str(self.matrix.op), str(self.matrix.other_op)]}
        for hidden in self.matrix.objects:
            if hidden.param and hidden.value not in values.setdefault(hidden.param, []):
                values[hidden.param].append(hidden.value)
        values.setdefault("public_id", []).append(self.matrix.shared_subject)
        return values


def callers() -> st.SearchStrategy[tuple[str, str] | None]:
    """One of CALLERS, or now and then nobody (no token at all)."""
    return st.sampled_from((*CALLERS, None))


def build_fuzz_world(db: Database, settings: Settings, matrix: MatrixWorld) -> FuzzWorld:
    fuzz = FuzzWorld(db, settings, matrix)
    fuzz.refresh()
    return fuzz
