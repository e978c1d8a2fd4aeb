"""The second factor: who must have one, enrolling it, codes good once, and an admin's reset."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.auth import totp
from caseweave.auth.models import User
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.runtime import Database
from caseweave.errors import Forbidden, NotFound
from tests.auth.helpers import (
    PASSWORD,
    WRONG,
    Clock,
    add_users,
    at,
    code_at,
    code_of,
    enrol_directly,
    guarded_app,
    post,
    post_login,
    step_now,
    wire,
    wrong_code,
)

USERS = {
    "coordinator.home": "coordinator",
    "analyst.home": "analyst",
    "other.home": "analyst",
    "admin.home": "agency_admin",
    "admin.away": "agency_admin",
    "platform.home": "platform_admin",
}


def credentials(username: str, **extra: str) -> dict[str, str]:
    return {"username": username, "password": PASSWORD, **extra}


def enrol(client: TestClient, username: str, otp: str | None = None) -> str:
    """Enrol and confirm a second factor through the API; returns its secret."""
    body = credentials(username) if otp is None else credentials(username, otp=otp)
    started = post(client, "/auth/totp/enrol", body)
    assert started.status_code == 200, started.text
    secret = str(started.json()["secret"])
    confirmed = post(client, "/auth/totp/confirm", credentials(username, code=code_at(secret)))
    assert confirmed.status_code == 200, confirmed.text
    return secret


@pytest.mark.parametrize("role", ["coordinator", "agency_admin", "platform_admin"])
def test_roles_that_change_access_cannot_log_in_without_a_second_factor(
    db: Database, settings: Settings, role: str
) -> None:
    username = {
        "coordinator": "coordinator.home",
        "agency_admin": "admin.home",
        "platform_admin": "platform.home",
    }
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock()), "192.0.2.1")
    refused = post_login(client, username[role], PASSWORD)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "second_factor_required"
    assert "/auth/totp/enrol" in refused.json()["error"]["hint"]
    assert wire(post_login(client, username[role], WRONG)) == wire(post_login(client, "nobody.home", WRONG))
    assert post_login(client, "analyst.home", PASSWORD).status_code == 200, "other roles may go without"


def test_enrolment_shows_the_secret_once_and_confirming_it_logs_in(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock()), "192.0.2.1")
    started = post(client, "/auth/totp/enrol", credentials("coordinator.home"))
    assert started.status_code == 200 and started.headers["Cache-Control"] == "no-store"
    secret = started.json()["secret"]
    uri = urlparse(started.json()["otpauth_uri"])
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/caseweave:coordinator.home")
    assert parse_qs(uri.query)["secret"] == [secret] and parse_qs(uri.query)["issuer"] == ["caseweave"]
    assert post_login(client, "coordinator.home", PASSWORD).status_code == 403, "pending is not enrolled"

    wrong = post(client, "/auth/totp/confirm", credentials("coordinator.home", code=wrong_code(secret)))
    assert wire(wrong)[0] == 401
    confirmed = post(client, "/auth/totp/confirm", credentials("coordinator.home", code=code_at(secret)))
    assert confirmed.status_code == 200 and confirmed.headers["Cache-Control"] == "no-store"
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {confirmed.json()['token']}"})
    assert me.json()["username"] == "coordinator.home"
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == "coordinator.home")).one()
        assert user.totp_secret == secret and user.totp_pending_secret is None
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor_user_id == user.id)).all()
    assert actions == ["auth.second_factor_enrol", "auth.second_factor_confirm", "auth.login"]


def test_a_code_is_good_once_and_never_after_a_later_one(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock(), free_failures=10), "192.0.2.1")
    secret = enrol(client, "analyst.home")
    with db.transaction() as session:
        used = session.scalars(select(User.totp_last_step).where(User.username == "analyst.home")).one()
    assert used is not None

    def login_with(step: int | None) -> int:
        otp = None if step is None else code_of(secret, step)
        return post_login(client, "analyst.home", PASSWORD, otp=otp).status_code

    assert login_with(None) == 401, "enrolled: a code is needed"
    assert login_with(used) == 401, "the code that confirmed the enrolment is spent"
    assert login_with(used + 1) == 200
    assert login_with(used + 1) == 401, "replayed"
    assert login_with(used - 1) == 401, "older than one accepted"


def test_the_last_accepted_step_is_claimed_once_even_by_racing_requests(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS)
    with db.transaction() as session:
        user_id = session.scalars(select(User.id).where(User.username == "analyst.home")).one()
        assert totp.claim_step(session, user_id, 100)
        assert not totp.claim_step(session, user_id, 100)
        assert not totp.claim_step(session, user_id, 99)
        assert totp.claim_step(session, user_id, 101)


def test_replacing_a_factor_needs_the_current_code_and_keeps_it_until_confirmed(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock(), free_failures=10), "192.0.2.1")
    old = enrol_directly(db, "coordinator.home")  # no code of it used yet
    step = step_now()
    unknown = post(client, "/auth/totp/enrol", credentials("nobody.home"))
    without_code = post(client, "/auth/totp/enrol", credentials("coordinator.home"))
    assert wire(without_code) == wire(unknown) and without_code.status_code == 401
    started = post(client, "/auth/totp/enrol", credentials("coordinator.home", otp=code_of(old, step)))
    assert started.status_code == 200
    still = post_login(client, "coordinator.home", PASSWORD, otp=code_of(old, step + 1))
    assert still.status_code == 200, "the old factor works until the new one is confirmed"
    new = started.json()["secret"]
    confirmed = post(client, "/auth/totp/confirm", credentials("coordinator.home", code=code_of(new, step)))
    assert confirmed.status_code == 200
    assert post_login(client, "coordinator.home", PASSWORD, otp=code_of(old, step + 1)).status_code == 401
    assert post_login(client, "coordinator.home", PASSWORD, otp=code_of(new, step + 1)).status_code == 200


def test_an_enrolment_left_too_long_cannot_be_confirmed(db: Database, settings: Settings) -> None:
    add_users(db, settings, USERS)
    client = at(guarded_app(db, Clock()), "192.0.2.1")
    secret = post(client, "/auth/totp/enrol", credentials("analyst.home")).json()["secret"]
    with db.transaction() as session:
        late = utcnow() - timedelta(seconds=1)
        session.execute(update(User).where(User.username == "analyst.home").values(totp_pending_until=late))
    expired = post(client, "/auth/totp/confirm", credentials("analyst.home", code=code_at(secret)))
    unknown = post(client, "/auth/totp/confirm", credentials("nobody.home", code=code_at(secret)))
    assert expired.status_code == 401 and wire(expired) == wire(unknown)


def actor(db: Database, username: str) -> Actor:
    with db.transaction() as session:
        return Actor.for_user(session.scalars(select(User).where(User.username == username)).one())


def test_an_agency_admin_resets_the_second_factor_of_their_own_agencys_users(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, USERS)
    for username in ("analyst.home", "other.home", "admin.home"):
        enrol_directly(db, username)
    home_admin, away_admin, analyst, platform = (
        actor(db, name) for name in ("admin.home", "admin.away", "other.home", "platform.home")
    )
    with db.transaction() as session:
        reset = totp.reset_second_factor(session, home_admin, "analyst.home")
        assert reset.totp_secret is None and reset.totp_last_step is None
        for who, whom in ((away_admin, "other.home"), (analyst, "analyst.home"), (home_admin, "nobody.home")):
            with pytest.raises(NotFound):
                totp.reset_second_factor(session, who, whom)
        with pytest.raises(Forbidden):
            totp.reset_second_factor(session, home_admin, "platform.home")
        totp.reset_second_factor(session, platform, "admin.home")
    with db.transaction() as session:
        left = {name: secret for name, secret in session.execute(select(User.username, User.totp_secret))}
        resets = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "user.second_factor_reset")
        ).all()
    assert left["analyst.home"] is None and left["admin.home"] is None and left["other.home"] is not None
    assert resets == ["user:admin.home", "user:platform.home"]
