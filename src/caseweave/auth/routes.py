"""HTTP routes for login, users and API tokens."""

from __future__ import annotations

import threading
from collections.abc import Awaitable
from dataclasses import asdict
from typing import TypeVar

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from caseweave.api.deps import ActorDep, BearerDep, SessionDep, SettingsDep, current_actor, database
from caseweave.api.openapi import NAMED, errors, link, links
from caseweave.api.params import DbId
from caseweave.auth import login, service, totp
from caseweave.auth.login import Attempt
from caseweave.auth.schemas import (
    LoginIn,
    PasswordChanged,
    PasswordChangeIn,
    RevokedOut,
    TokenIn,
    TokenIssued,
    TokenOut,
    TotpConfirmIn,
    TotpEnrolment,
    UserCreated,
    UserIn,
    UserOut,
)
from caseweave.auth.service import IssuedToken
from caseweave.auth.throttle import Busy, LoginGuard, Throttled, source_key
from caseweave.db.runtime import Database

router = APIRouter(tags=["auth"], responses=errors(401, 503))


# The routes that check a password are async and take no request-wide session: login.py opens its
# own short transactions around the hashing, and a request waiting for a hash slot holds no thread.
_CHECKS = errors(
    401,
    413,
    422,
    429,
    503,
    described={
        401: "wrong username, password, code or token: one answer for every such failure",
        422: "a field missing or out of bounds (a password above 256 characters)",
        503: "too many password checks at once, or the database is busy: retry after Retry-After seconds",
    },
)
_NO_FACTOR = errors(
    403, described={403: "right password, but your roles need a second factor: enrol one first"}
)
_guard_lock = threading.Lock()
_T = TypeVar("_T")


def _database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def _guard(request: Request) -> LoginGuard:
    """This app's throttle and hash slots, made on first use."""
    state = request.app.state
    with _guard_lock:
        guard: LoginGuard | None = getattr(state, "login_guard", None)
        if guard is None:
            guard = LoginGuard.from_settings(_database(request).settings)
            state.login_guard = guard
    return guard


def _attempt(request: Request, username: str, password: str, code: str | None, purpose: str) -> Attempt:
    host = request.client.host if request.client else None
    return Attempt(username, password, code, source_key(host), request.state.request_id, purpose)


async def _answer(request: Request, response: Response, work: Awaitable[_T]) -> _T | JSONResponse:
    """`work`'s result, never cached; a refusal that says when to come back carries Retry-After."""
    response.headers["Cache-Control"] = "no-store"
    try:
        return await work
    except (Throttled, Busy) as exc:
        body = {"error": exc.as_dict(), "request_id": request.state.request_id}
        headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
        return JSONResponse(body, status_code=exc.http_status, headers=headers)


def _issued(issued: IssuedToken) -> TokenIssued:
    return TokenIssued(token=issued.secret, token_id=issued.token.id, expires_at=issued.token.expires_at)


@router.post("/auth/login", response_model=TokenIssued, responses={**_CHECKS, **_NO_FACTOR})
async def login_route(body: LoginIn, request: Request, response: Response) -> object:
    """A session token for your username and password, and your current code once you enrolled a
    second factor. Platform admins, agency admins and coordinators must enrol one first."""
    attempt = _attempt(request, body.username, body.password, body.otp, "login")

    async def work() -> TokenIssued:
        return _issued(await login.login(_database(request), _guard(request), attempt))

    return await _answer(request, response, work())


@router.post("/auth/totp/enrol", response_model=TotpEnrolment, responses=_CHECKS)
async def enrol_totp(body: LoginIn, request: Request, response: Response) -> object:
    """Start enrolling a TOTP second factor: your username and password (and current code, when
    replacing a factor) give a new secret, shown once and pending until confirmed."""
    attempt = _attempt(request, body.username, body.password, body.otp, "totp_enrol")

    async def work() -> TotpEnrolment:
        enrolment = await login.enrol_totp(_database(request), _guard(request), attempt)
        return TotpEnrolment(**asdict(enrolment))

    return await _answer(request, response, work())


@router.post("/auth/totp/confirm", response_model=TokenIssued, responses=_CHECKS)
async def confirm_totp(body: TotpConfirmIn, request: Request, response: Response) -> object:
    """Confirm the pending secret with a code from it: it becomes your second factor and you are
    logged in."""
    attempt = _attempt(request, body.username, body.password, body.code, "totp_confirm")

    async def work() -> TokenIssued:
        return _issued(await login.confirm_totp(_database(request), _guard(request), attempt))

    return await _answer(request, response, work())


@router.post("/auth/password", response_model=PasswordChanged, responses=_CHECKS)
async def change_password(
    body: PasswordChangeIn, request: Request, response: Response, bearer: BearerDep
) -> object:
    """Change your own password: your bearer token, the current password (and code, once enrolled)
    and the new one. Your other login sessions end; API tokens stay."""
    source = _attempt(request, "", "", None, "password").source

    async def work() -> PasswordChanged:
        ended = await login.change_password(
            _database(request),
            _guard(request),
            bearer,
            current=body.current_password,
            new=body.new_password,
            code=body.otp,
            source=source,
            request_id=request.state.request_id,
        )
        return PasswordChanged(sessions_ended=ended)

    return await _answer(request, response, work())


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, session: SessionDep, actor: ActorDep) -> None:
    """End the session of the token this request carries (any user). API tokens are revoked at DELETE
    /tokens/{token_id}."""
    service.revoke_token(session, actor, request.state.token_id)


@router.get("/auth/me", response_model=UserOut)
def me(actor: ActorDep) -> object:
    """Who you are: your account, agency and roles (any user)."""
    return actor.user


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, actor: ActorDep) -> object:
    """The accounts you manage: every account for a platform admin, your agency's for an agency admin, only
    your own otherwise."""
    return service.list_users(session, actor)


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(*NAMED, 409, 413),
        **links(
            201,
            disable=link(
                "post",
                "/users/{username}/disable",
                "disable the account",
                username="$response.body#/username",
            ),
        ),
    },
)
def add_user(body: UserIn, request: Request, secret: BearerDep) -> UserCreated:
    """Create an account (platform admins in any agency; agency admins in their own, with any role but
    platform_admin and oversight). A password left out is generated and shown once."""
    # Checked in a read, hashed with no transaction open, stored in a short write: argon2 must not
    # hold the write lock (issue 17), nor run for a caller who may not add this user.
    db = database(request)
    with db.read_transaction() as session:
        service.check_new_user(
            session,
            current_actor(request, secret, session),
            username=body.username,
            agency=body.agency,
            roles=body.roles,
        )
    prepared = service.new_password(db.settings, body.password, context=(body.username, body.full_name))
    with db.transaction() as session:
        fields = body.model_dump(exclude={"password"})
        user, generated = service.add_user(
            session, current_actor(request, secret, session), db.settings, **fields, prepared=prepared
        )
        return UserCreated.model_validate(user).model_copy(update={"generated_password": generated})


@router.post("/users/{username}/disable", response_model=UserOut, responses=errors(*NAMED))
def disable_user(username: str, session: SessionDep, actor: ActorDep) -> object:
    """Disable an account and end its sessions and tokens (platform admins; agency admins for non-admin
    accounts of their agency)."""
    return service.disable_user(session, actor, username)


@router.post("/users/{username}/sessions/revoke", response_model=RevokedOut, responses=errors(*NAMED))
def revoke_sessions(username: str, session: SessionDep, actor: ActorDep) -> RevokedOut:
    """End every login session and API token of a user of your agency (agency admins)."""
    return RevokedOut(revoked=service.revoke_sessions(session, actor, username))


@router.post("/users/{username}/second-factor/reset", response_model=UserOut, responses=errors(*NAMED))
def reset_second_factor(username: str, session: SessionDep, actor: ActorDep) -> object:
    """Remove a user's second factor (a lost phone) so they enrol a new one: agency admins for their
    agency's users, platform admins for anyone's (an admin's, too)."""
    return totp.reset_second_factor(session, actor, username)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(session: SessionDep, actor: ActorDep) -> object:
    """The API tokens you manage: your own, your agency's for an agency admin, every one for a platform
    admin. Secrets are never shown again."""
    return service.list_tokens(session, actor)


@router.post(
    "/tokens",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(*NAMED, 413),
        **links(
            201,
            revoke=link(
                "delete", "/tokens/{token_id}", "revoke the token", token_id="$response.body#/token_id"
            ),
        ),
    },
)
def create_token(body: TokenIn, session: SessionDep, actor: ActorDep, settings: SettingsDep) -> TokenIssued:
    """A long-lived API token for a machine client: for yourself, or for a user of your agency (agency
    admins). The secret is shown once."""
    issued = service.create_api_token(session, actor, settings, **body.model_dump())
    return TokenIssued(token=issued.secret, token_id=issued.token.id, expires_at=issued.token.expires_at)


@router.delete("/tokens/{token_id}", response_model=TokenOut, responses=errors(*NAMED))
def revoke_token(token_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Revoke an API token you manage (your own, or your agency's as its agency admin)."""
    return service.revoke_token(session, actor, token_id)
