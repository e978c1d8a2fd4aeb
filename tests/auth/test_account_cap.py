"""ASVS 2.2.1's cap on one account: an attack spread over many addresses gets no more than
`login_account_failures` guesses an hour at one username, and cannot use the cap to lock the user
out, because addresses the account has logged in from are spared. An unknown username is capped
the same way (no enumeration)."""

from __future__ import annotations

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.auth.helpers import PASSWORD, WRONG, Clock, add_users, at, guarded_app, post_login, wire

CAP = 5
HOME, ELSEWHERE = "192.0.2.10", "198.51.100.77"
BOTNET = [f"203.0.113.{n}" for n in range(1, 60)]


def test_a_distributed_attack_is_capped_and_the_user_still_logs_in_from_home(
    db: Database, settings: Settings
) -> None:
    add_users(db, settings, {"analyst.home": "analyst"})
    clock = Clock()
    app = guarded_app(db, clock, free_failures=3, account_failures=CAP)
    assert post_login(at(app, HOME), "analyst.home", PASSWORD).status_code == 200  # home is now known

    statuses = [post_login(at(app, address), "analyst.home", WRONG).status_code for address in BOTNET]
    assert statuses[:CAP] == [401] * CAP
    assert set(statuses[CAP:]) == {429}, "one guess per address, yet the account caps them all"
    refused = post_login(at(app, ELSEWHERE), "analyst.home", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert post_login(at(app, HOME), "analyst.home", PASSWORD).status_code == 200, "home is spared"

    clock.advance(3600)
    assert post_login(at(app, ELSEWHERE), "analyst.home", PASSWORD).status_code == 200, "the hour refills it"


def test_the_cap_answers_an_unknown_username_exactly_as_a_real_one(db: Database, settings: Settings) -> None:
    add_users(db, settings, {"analyst.home": "analyst"})
    app = guarded_app(db, Clock(), free_failures=3, account_failures=CAP)
    answers = {}
    for username in ("analyst.home", "nobody.home"):
        for address in BOTNET[:CAP]:
            assert post_login(at(app, address), username, WRONG).status_code == 401
        answers[username] = wire(post_login(at(app, BOTNET[CAP]), username, WRONG))
    assert answers["analyst.home"][0] == 429
    assert answers["analyst.home"] == answers["nobody.home"]
