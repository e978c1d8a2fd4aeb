"""Migration 0012 on a database that already has users and tokens, both ways, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from caseweave.db.migrate import alembic_config, current_revision, head_revision
from caseweave.db.runtime import Database

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
AGENCIES = sa.table(
    "agencies",
    *(sa.column(name, sa.String()) for name in ("code", "name", "country", "kind", "contact_point")),
    sa.column("id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
USERS = sa.table(
    "users",
    *(sa.column(name, sa.String()) for name in ("username", "full_name", "password_hash")),
    *(sa.column(name, sa.Integer()) for name in ("id", "agency_id", "failed_logins")),
    sa.column("roles", sa.JSON()),
    sa.column("disabled", sa.Boolean()),
    sa.column("locked_until", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
TOKENS = sa.table(
    "tokens",
    *(sa.column(name, sa.String()) for name in ("kind", "name", "token_hash")),
    *(sa.column(name, sa.Integer()) for name in ("id", "user_id")),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "expires_at")),
)


def columns(db: Database) -> set[str]:
    return {column["name"] for column in sa.inspect(db.engine).get_columns("users")}


def test_users_and_their_tokens_survive_the_migration_both_ways(db: Database) -> None:
    config = alembic_config(db.engine)
    command.downgrade(config, "0011")
    with db.engine.begin() as connection:
        connection.execute(
            AGENCIES.insert().values(
                id=1, code="HOME", name="Home", country="GB", kind="police", contact_point="x", created_at=NOW
            )
        )
        connection.execute(
            USERS.insert().values(
                id=7,
                username="analyst.home",
                full_name="",
                password_hash="$argon2id$kept",
                agency_id=1,
                failed_logins=4,
                roles=["analyst"],
                disabled=False,
                locked_until=NOW,
                created_at=NOW,
            )
        )
        connection.execute(
            USERS.insert().values(
                id=8,
                username="coordinator.home",
                full_name="",
                password_hash="$argon2id$kept",
                agency_id=1,
                failed_logins=0,
                roles=["coordinator"],
                disabled=False,
                created_at=NOW,
            )
        )
        for token_id, user_id, kind in ((3, 7, "api"), (4, 7, "session"), (5, 8, "api"), (6, 8, "session")):
            connection.execute(
                TOKENS.insert().values(
                    id=token_id,
                    user_id=user_id,
                    kind=kind,
                    name="t",
                    token_hash=str(token_id) * 64,
                    created_at=NOW,
                    expires_at=NOW,
                )
            )

    command.upgrade(config, "head")
    assert current_revision(db.engine) == head_revision()
    assert {"totp_secret", "totp_last_step", "totp_pending_secret"} <= columns(db)
    assert not {"failed_logins", "locked_until"} & columns(db)
    with db.engine.connect() as connection:
        user = connection.execute(
            sa.text("SELECT username, password_hash, totp_secret FROM users WHERE id = 7")
        )
        tokens = connection.execute(sa.text("SELECT id, revoked_at IS NOT NULL FROM tokens ORDER BY id"))
        assert tuple(user.one()) == ("analyst.home", "$argon2id$kept", None)
        revoked = {token_id: bool(ended) for token_id, ended in tokens}
    assert revoked == {3: False, 4: False, 5: False, 6: True}, "only the coordinator's session ends"

    command.downgrade(config, "0011")
    with db.engine.connect() as connection:
        back = connection.execute(
            sa.text("SELECT username, failed_logins, locked_until FROM users WHERE id = 7")
        ).one()
    assert tuple(back) == ("analyst.home", 0, None)
    assert "totp_secret" not in columns(db)
    command.upgrade(config, "head")
