"""A small operation with every kind of participant, built through the services, for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from caseweave.access.labels import Role
from caseweave.actor import Actor
from caseweave.auth import service as auth
from caseweave.auth.models import User
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.operations import service as ops

START = date.today() - timedelta(days=100)

# code, country, membership role (None: not a member), days after START it joined
AGENCIES: tuple[tuple[str, str, str | None, int], ...] = (
    ("LEAD", "GB", "lead", 0),
    ("PARTNER", "CA", "partner", 0),
    ("LATE", "IE", "partner", 60),  # joined part-way, like the customs service in the real case
    ("OBSERVER", "NL", "observer", 10),
    ("FUTURE", "DE", "partner", 130),  # agreed to join, not yet in
    ("OUTSIDER", "FR", None, 0),
)
ROLES = tuple(role.value for role in Role)
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    operation_id: int
    agency_ids: dict[str, int] = field(default_factory=dict)
    users: dict[tuple[str, str], User] = field(default_factory=dict)  # (agency, role) -> user
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def user(self, agency: str, role: str) -> User:
        return self.users[(agency, role)]

    def headers(self, agency: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(agency, role)]}"}

    def is_member(self, agency: str) -> bool:
        return any(code == agency and member and joined <= 100 for code, _, member, joined in AGENCIES)


def build_world(db: Database, settings: Settings, roles: tuple[str, ...] = ROLES) -> World:
    operator = Actor.cli()
    with db.transaction() as session:
        for code, country, _, _ in AGENCIES:
            ops.add_agency(
                session,
                operator,
                code=code,
                name=f"{code.title()} Agency",
                country=country,
                kind="police",
                contact_point=f"desk@{code.lower()}.example",
            )
        operation = ops.create_operation(
            session, operator, name="Op Test", lead_agency="LEAD", start_date=START
        )
        world = World(operation.id)
        for code, _, member_role, joined in AGENCIES:
            world.agency_ids[code] = ops.agency_by_code(session, code).id
            if member_role in ("partner", "observer"):
                ops.invite(
                    session,
                    operator,
                    operation.id,
                    agency=code,
                    role=member_role,
                    joined_on=START + timedelta(days=joined),
                )
        for code, *_ in AGENCIES:
            for role in roles:
                user, _ = auth.add_user(
                    session,
                    operator,
                    settings,
                    username=f"{role}.{code.lower()}",
                    agency=code,
                    roles=[role],
                    password=PASSWORD,
                )
                world.users[(code, role)] = user
                issued = auth.create_api_token(
                    session, operator, settings, username=user.username, name="t", days=1
                )
                world.tokens[(code, role)] = issued.secret
    return world
