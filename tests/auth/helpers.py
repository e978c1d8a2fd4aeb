"""Users for the login tests, an app whose throttle runs on a clock the test moves, and clients at
chosen source addresses."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from caseweave.actor import Actor
from caseweave.api.app import create_app
from caseweave.auth import service as auth
from caseweave.auth.models import User
from caseweave.auth.throttle import HashSlots, LoginGuard, LoginThrottle
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.operations import service as ops
from tests.support.world import PASSWORD

__all__ = [
    "PASSWORD",
    "WRONG",
    "Clock",
    "add_users",
    "at",
    "code_at",
    "code_of",
    "enrol_directly",
    "guarded_app",
    "post",
    "post_login",
    "step_now",
    "wire",
    "wrong_code",
]

WRONG = "not the password at all"
REQUEST_ID = "same-request-id"  # sent with every compared request, so answers can be equal to the byte


@dataclass
class Clock:
    now: float = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def add_users(
    db: Database, settings: Settings, users: dict[str, str], *, disabled: tuple[str, ...] = ()
) -> None:
    """`users`: username -> role; a username ending in ".away" is in agency AWAY, any other in HOME."""
    operator = Actor.cli()
    with db.transaction() as session:
        for code, country in (("HOME", "GB"), ("AWAY", "FR")):
            ops.add_agency(
                session,
                operator,
                code=code,
                name=f"{code.title()} Agency",
                country=country,
                kind="police",
                contact_point=f"desk@{code.lower()}.example",
            )
        for username, role in users.items():
            agency = "AWAY" if username.endswith(".away") else "HOME"
            auth.add_user(
                session, operator, settings, username=username, agency=agency, roles=[role], password=PASSWORD
            )
        if disabled:
            session.execute(update(User).where(User.username.in_(disabled)).values(disabled=True))


def enrol_directly(db: Database, username: str) -> str:
    """Give a user a confirmed TOTP secret without the API; returns the secret."""
    secret = pyotp.random_base32()
    with db.transaction() as session:
        session.execute(update(User).where(User.username == username).values(totp_secret=secret))
    return secret


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The code of the step `offset_steps` from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def step_now() -> int:
    """The current 30 s time step: a test counts its codes from it, so that a step boundary passing
    during the test (the server accepts one step either way) changes nothing."""
    return pyotp.TOTP(pyotp.random_base32()).timecode(time.time())


def code_of(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def wrong_code(secret: str) -> str:
    """Six digits that are the code of no step the server accepts now."""
    near = {code_at(secret, offset) for offset in range(-2, 3)}
    return next(code for n in range(100) if (code := f"{n:06d}") not in near)


def guarded_app(
    db: Database,
    clock: Clock,
    *,
    free_failures: int = 2,
    address_failures: int = 1000,
    account_failures: int = 100,
    slots: int = 2,
    wait_seconds: float = 2.0,
) -> FastAPI:
    """A fresh app (its own throttle) whose throttle reads `clock`."""
    app = create_app(database=db)
    throttle = LoginThrottle(
        free_failures=free_failures,
        base_seconds=60,
        max_seconds=900,
        address_failures=address_failures,
        address_window=900,
        max_entries=10_000,
        account_failures=account_failures,
        account_window=3600,
        clock=clock,
    )
    app.state.login_guard = LoginGuard(throttle, HashSlots(slots, wait_seconds))
    return app


def at(app: FastAPI, address: str) -> TestClient:
    """A client whose requests come from `address`."""
    return TestClient(app, client=(address, 40_000))


def post_login(client: TestClient, username: str, password: str, otp: str | None = None) -> httpx.Response:
    body: dict[str, str] = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return post(client, "/auth/login", body)


def post(client: TestClient, path: str, body: dict[str, str], **headers: str) -> httpx.Response:
    """POST with the same request id every time, so answers can be compared to the byte."""
    response: httpx.Response = client.post(path, json=body, headers={"X-Request-ID": REQUEST_ID, **headers})
    return response


def wire(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Everything a client receives, to compare answers to the byte."""
    return response.status_code, sorted(response.headers.items()), response.content
