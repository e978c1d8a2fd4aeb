"""Every operation of the OpenAPI document × every role × agency relation: what a user may not see
answers exactly as what does not exist, and nothing of it appears in any answer.

The routes come from the app's own OpenAPI document, so a new route is covered the day it is added
(and must say here what body it takes, or the test fails).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.access.matrix_world import MatrixWorld, build
from tests.attribution.helpers import Person, tip

AGENCIES = ("LEAD", "PARTNER", "LATE", "OBSERVER", "FUTURE", "OUTSIDER")
# investigator and oversight see case data as analyst and auditor do: left out to keep the run short
ROLES = ("analyst", "coordinator", "agency_admin", "platform_admin", "auditor")
_PARAM = re.compile(r"\{(\w+)\}")


def _bodies(world: MatrixWorld) -> dict[tuple[str, str], dict[str, Any]]:
    """What each writing route is sent: enough to reach its service, never a validation error."""
    shared = world.shared_subject
    referral = tip("M-1", (Person(("matrix.new@example.com",)),))
    return {
        ("post", "/operations/{operation_id}/referrals"): {
            "files": {"file": ("m.xml", referral, "application/xml")},
            "data": {"label": "GREEN"},
        },
        ("post", "/operations/{operation_id}/linkage/runs"): {"json": {"use_model": False}},
        ("post", "/operations/{operation_id}/attribution/runs"): {"json": {}},
        ("post", "/operations/{operation_id}/packages"): {"json": {}},
        ("post", "/operations/{operation_id}/media/banks"): {
            "files": {"file": ("b.csv", b"sha256\n" + b"cd" * 32 + b"\n", "text/csv")},
            "data": {"label": "AMBER"},
        },
        ("post", "/operations/{operation_id}/victims"): {"json": {"pseudonym": "Child M"}},
        ("post", "/victims/{ref}/status"): {"json": {"status": "identified"}},
        ("post", "/victims/{ref}/links"): {"json": {"kind": "subject", "target": shared}},
        ("post", "/operations/{operation_id}/outcomes"): {
            "json": {"subject": shared, "kind": "charged", "date": "2025-03-01"}
        },
        ("post", "/operations/{operation_id}/outcomes/import"): {
            "files": {"file": ("o.csv", b"subject,kind,date\n" + shared.encode() + b",charged,2025-03-02\n")}
        },
        ("post", "/operations/{operation_id}/notes"): {"json": {"title": "m"}},
        ("post", "/operations/{operation_id}/memberships"): {"json": {"agency": "INVITEE"}},
        ("post", "/operations/{operation_id}/stats/public"): {"json": {}},
        ("post", "/operations/{operation_id}/stats/consents"): {"json": {"country": "CA"}},
        ("post", "/alerts/{alert_id}/resolve"): {"json": {"lead_agency": "LEAD", "note": "m"}},
        ("post", "/packages/{ref}/acknowledgement"): {"json": {}},
        ("post", "/packages/{ref}/outcomes"): {"json": {"subject": shared, "outcome": "investigating"}},
        ("put", "/subjects/{public_id}/route"): {"json": {"agency": "PARTNER", "reason": "m"}},
        ("post", "/subjects/{public_id}/route/automatic"): {"json": {"reason": "m"}},
        ("post", "/media/banks/{bank_id}/disable"): {"json": {}},
        ("post", "/media/banks/{bank_id}/enable"): {"json": {}},
    }


def _routes(client: TestClient, *, with_body: bool = False) -> Iterator[tuple[str, str]]:
    for path, methods in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, spec in methods.items():
            if not with_body or "requestBody" in spec:
                yield method, path


def _call(
    client: TestClient,
    method: str,
    path: str,
    values: dict[str, str],
    headers: dict[str, str],
    body: dict[str, Any],
) -> Response:
    url = _PARAM.sub(lambda m: values[m.group(1)], path)
    parts = dict(body)
    if "files" in parts:  # a fresh stream for every request
        parts["files"] = {
            key: (name, io.BytesIO(content), *rest) for key, (name, content, *rest) in parts["files"].items()
        }
    response: Response = client.request(method.upper(), url, headers=headers, **parts)
    return response


def _normalised(response: Response, value: str) -> tuple[int, str]:
    text = response.text
    text = re.sub(r'"request_id":\s*"[^"]*"', '"request_id":""', text)
    text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "<ID>", text)
    return response.status_code, text


@pytest.fixture
def matrix(client: TestClient, db: Database, settings: Settings) -> MatrixWorld:
    return build(client, db, settings)


def test_hidden_answers_exactly_as_absent_on_every_route(client: TestClient, matrix: MatrixWorld) -> None:
    bodies = _bodies(matrix)
    defaults = {obj.param: obj.value for obj in reversed(matrix.objects)}  # the first of each kind
    defaults["operation_id"] = str(matrix.op)
    routes = list(_routes(client))
    undeclared = [
        (method, path)
        for method, path in _routes(client, with_body=True)
        if _PARAM.search(path) and (method, path) not in bodies
    ]
    failures: list[str] = []
    for method, path in routes:
        params = _PARAM.findall(path)
        for name in params:
            for hidden in matrix.named_by(name, path):
                for agency in AGENCIES:
                    for role in ROLES:
                        if hidden.may_see(agency, role):
                            continue
                        headers = matrix.world.headers(agency, role)
                        body = bodies.get((method, path), {})
                        seen = {**defaults, **{p: hidden.value for p in params if p == name}}
                        absent = {**defaults, **{p: hidden.absent for p in params if p == name}}
                        got = _normalised(_call(client, method, path, seen, headers, body), hidden.value)
                        want = _normalised(_call(client, method, path, absent, headers, body), hidden.absent)
                        if got != want:
                            failures.append(
                                f"{method.upper()} {path} [{name}] as {role}.{agency}: {got} != {want}"
                            )
    assert not undeclared, f"routes without a body here: {undeclared}"
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


def _audits(agency: str, role: str, owner: str) -> bool:
    """Oversight reads every audit entry; an auditor those of their own agency's users."""
    return role == "oversight" or (role == "auditor" and agency == owner)


def test_no_answer_carries_what_its_reader_may_not_see(client: TestClient, matrix: MatrixWorld) -> None:
    values = {
        name: [obj.value for obj in matrix.objects if obj.param == name]
        for name in {o.param for o in matrix.objects}
    }
    leaks: list[str] = []
    for method, path in _routes(client):
        if method != "get":
            continue
        params = _PARAM.findall(path)
        choices: list[dict[str, str]] = [{}]
        for name in params:
            wanted = [obj.value for obj in matrix.named_by(name, path)] or values.get(name, [])
            choices = [{**c, name: v} for c in choices for v in wanted]
        for agency in AGENCIES:
            for role in ROLES:
                headers = matrix.world.headers(agency, role)
                for chosen in choices:
                    text = _call(client, method, path, chosen, headers, {}).text
                    for marker, may_see, owner in matrix.markers():
                        # an error may repeat what the caller typed; that tells them nothing
                        if marker in chosen.values():
                            continue
                        if path == "/audit/entries" and _audits(agency, role, owner):
                            continue
                        if marker in text and not may_see(agency, role):
                            leaks.append(f"GET {path} {chosen} as {role}.{agency} shows {marker!r}")
    assert not leaks, "\n".join(leaks[:40]) + f"\n({len(leaks)} in all)"


def test_an_absent_operation_is_404_everywhere_and_leaves_no_audit_row(
    client: TestClient, db: Database, matrix: MatrixWorld
) -> None:
    bodies = _bodies(matrix)
    absent = "999999"
    wrong: list[str] = []
    for method, path in _routes(client):
        if "{operation_id}" not in path:
            continue
        values = {name: absent for name in _PARAM.findall(path)}
        response = _call(
            client,
            method,
            path,
            values,
            matrix.world.headers("LEAD", "coordinator"),
            bodies.get((method, path), {}),
        )
        if response.status_code != 404:
            wrong.append(f"{method.upper()} {path}: {response.status_code}")
    assert not wrong, wrong
    with db.transaction() as session:
        named = session.scalars(select(AuditEntry.seq).where(AuditEntry.operation_id == int(absent))).all()
    assert named == []
