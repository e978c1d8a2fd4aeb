"""Who may administer what: the one place a reviewer reads the whole administration policy.

| action                                   | who                                                      |
|------------------------------------------|----------------------------------------------------------|
| add an agency                            | platform admin                                           |
| see, add, change users; their tokens     | platform admin: any agency; agency admin: their own      |
| grant platform_admin or oversight        | platform admin                                           |
| disable or reset an admin                | platform admin                                           |
| revoke a user's sessions and tokens      | platform admin; agency admin of the user's agency        |
| create an operation                      | coordinator, led by their own agency; platform admin     |
| invite an agency, withdraw an invitation | coordinators of the lead agency; platform admin          |
| accept or decline an invitation          | agency admin or coordinator of the invited agency        |
| read the audit log                       | auditor: entries of their own agency's users;            |
|                                          | oversight: every entry                                   |
| run linkage or attribution on demand     | the lead agency's coordinators and analysts              |
| routing queue, dissemination, figures    | the lead agency's coordinators                           |
| load or change warning lists             | platform admin                                           |

The CLI operator (who holds the database anyway) may do all of it and is audited as the operator.
A user the caller may not manage is reported exactly like a missing one (NotFound).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from caseweave.access.labels import ADMIN_ROLES, Role
from caseweave.actor import Actor
from caseweave.auth.models import User
from caseweave.errors import Forbidden, NotFound
from caseweave.operations.models import Operation

_ADMIN_VALUES = frozenset(role.value for role in ADMIN_ROLES)
# Roles only a platform admin grants: installation-wide reach.
PLATFORM_GRANTS = frozenset({Role.PLATFORM_ADMIN.value, Role.OVERSIGHT.value})


def is_platform_admin(actor: Actor) -> bool:
    return actor.is_operator or (actor.user is not None and actor.user.has_role(Role.PLATFORM_ADMIN.value))


def require_platform_admin(actor: Actor, what: str) -> None:
    if not is_platform_admin(actor):
        raise Forbidden(f"only platform admins {what}", hint="ask the installation's platform admin")


def manages_agency(actor: Actor, agency_id: int) -> bool:
    """Platform admins manage every agency's users; an agency admin manages their own agency's."""
    if is_platform_admin(actor):
        return True
    user = actor.user
    return user is not None and user.agency_id == agency_id and user.has_role(Role.AGENCY_ADMIN.value)


def managed_users(actor: Actor) -> ColumnElement[bool]:
    """SQL condition on User: the accounts the actor may see and manage (their own among them)."""
    if is_platform_admin(actor):
        return true()
    assert actor.user is not None
    if actor.user.has_role(Role.AGENCY_ADMIN.value):
        return User.agency_id == actor.user.agency_id
    return User.id == actor.user.id


def user_not_found(username: str) -> NotFound:
    return NotFound(f"user {username!r} not found", field="username")


def require_user_manager(session: Session, actor: Actor, target: User) -> None:
    """Manage (tokens, sessions, second factor) a user: NotFound if not theirs, Forbidden for an admin
    when the actor is not a platform admin (nobody else resets or disables an admin)."""
    if not manages_agency(actor, target.agency_id):
        raise user_not_found(target.username)
    if target.has_role(*_ADMIN_VALUES) and not is_platform_admin(actor) and not _is_self(actor, target):
        raise Forbidden(
            f"only platform admins change the admin {target.username!r}",
            hint="ask the installation's platform admin",
        )


def require_grant(actor: Actor, agency_id: int, roles: Iterable[str]) -> None:
    """Create a user in `agency_id` holding `roles`."""
    if not manages_agency(actor, agency_id):
        raise Forbidden(
            "users are added by their own agency's admin or by a platform admin",
            field="agency",
            hint="ask that agency's admin",
        )
    granted = PLATFORM_GRANTS.intersection(roles)
    if granted and not is_platform_admin(actor):
        raise Forbidden(f"only platform admins grant {', '.join(sorted(granted))}", field="roles")


def require_operation_creator(actor: Actor, lead_agency_id: int) -> None:
    if is_platform_admin(actor):
        return
    user = actor.user
    if user is None or not user.has_role(Role.COORDINATOR.value):
        raise Forbidden("only coordinators and platform admins create operations")
    if user.agency_id != lead_agency_id:
        raise Forbidden("a coordinator creates operations led by their own agency", field="lead_agency")


def manages_operation(actor: Actor, operation: Operation) -> bool:
    """Coordinators of the lead agency (and platform admins) invite agencies and withdraw invitations."""
    if is_platform_admin(actor):
        return True
    user = actor.user
    return (
        user is not None
        and user.agency_id == operation.lead_agency_id
        and user.has_role(Role.COORDINATOR.value)
    )


def require_operation_manager(actor: Actor, operation: Operation) -> None:
    if not manages_operation(actor, operation):
        raise Forbidden(
            f"only the lead agency's coordinators manage operation {operation.name!r}",
            hint="ask the lead agency's coordinator",
        )


def is_coordinator(actor: Actor, operation: Operation) -> bool:
    """The lead agency's coordinators hold the routing queue, dissemination and the figures."""
    if actor.is_operator:
        return True
    user = actor.user
    assert user is not None
    return user.agency_id == operation.lead_agency_id and user.has_role(Role.COORDINATOR.value)


def require_coordinator(actor: Actor, operation: Operation, what: str) -> None:
    if not is_coordinator(actor, operation):
        raise Forbidden(
            f"only the lead agency's coordinators {what}",
            hint=f"ask a coordinator of the lead agency of operation {operation.name!r}",
        )


def require_lead_analyst(actor: Actor, operation: Operation, what: str, hint: str) -> None:
    """On-demand runs (linkage, attribution): the lead agency's coordinators and analysts."""
    if is_platform_admin(actor):
        return
    assert actor.user is not None
    if actor.user.agency_id != operation.lead_agency_id or not actor.user.has_role(
        Role.COORDINATOR.value, Role.ANALYST.value
    ):
        raise Forbidden(f"{what} are started by the lead agency's coordinators and analysts", hint=hint)


def answers_for_agency(actor: Actor, agency_id: int) -> bool:
    """Accept or decline an invitation addressed to `agency_id`: its agency admins and coordinators.
    A platform admin does not: the agency itself consents to sharing its data."""
    if actor.is_operator:
        return True
    user = actor.user
    return (
        user is not None
        and user.agency_id == agency_id
        and user.has_role(Role.AGENCY_ADMIN.value, Role.COORDINATOR.value)
    )


def reads_whole_audit_log(actor: Actor) -> bool:
    return actor.is_operator or actor.has_role(Role.OVERSIGHT.value)


def require_audit_reader(actor: Actor) -> None:
    if not actor.has_role(Role.AUDITOR.value, Role.OVERSIGHT.value):
        raise Forbidden("only auditors read or verify the audit log", hint="ask for the auditor role")


def _is_self(actor: Actor, target: User) -> bool:
    return actor.user is not None and actor.user.id == target.id
