"""A package as a file (JSON, HTML, PDF) for its receiving agency, and checking a file against what
was issued.

Every rendering starts from the stored canonical JSON, after checking it still hashes to the stored
sha256, and never from the live database: what an agency reads is what it was sent, however the
operation has moved on since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.dissemination import document
from caseweave.dissemination.models import Package
from caseweave.dissemination.render_html import render_html
from caseweave.dissemination.workflow import find_package
from caseweave.errors import Conflict, Invalid, NotFound

FORMATS = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


class Tampered(Invalid):
    """A package file whose content no longer hashes to what was issued."""


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    file_name: str


@dataclass(frozen=True)
class Verified:
    reference: str
    agency: str
    version: int
    sha256: str
    status: str


def stored_body(package: Package) -> dict[str, Any]:
    """The issued document, refused if the database copy no longer matches its own hash."""
    body: dict[str, Any] = json.loads(package.body)
    if document.sha256_of(body) != package.sha256:
        raise Conflict(
            f"the stored copy of package {package.reference} no longer matches its sha256",
            field="package",
            hint="the database was altered outside caseweave: check `caseweave audit verify` and backups",
        )
    return body


def render(body: dict[str, Any], sha256: str, fmt: str) -> bytes:
    if fmt == "json":
        return document.canonical(body)
    if fmt == "html":
        return render_html(body, sha256).encode("utf-8")
    # imported here: most commands never draw a PDF, and reportlab costs ~60 ms at start-up
    from caseweave.dissemination.render_pdf import render_pdf

    return render_pdf(body, sha256)


def read_document(session: Session, actor: Actor, ref: str | int, fmt: str = "json") -> Rendered:
    """The package as a file, for a user of its receiving agency (or the CLI operator). Audited."""
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise Invalid(f"unknown package format {fmt!r}", field="format", hint=" / ".join(FORMATS))
    package = find_package(session, actor, ref)
    content = render(stored_body(package), package.sha256, fmt)
    audit.record(
        session,
        actor,
        "package.read",
        "package",
        [package.id],
        operation_id=package.operation_id,
        detail={"reference": package.reference, "format": fmt},
    )
    return Rendered(content, FORMATS[fmt], f"{package.reference}.{fmt}")


def verify_file(session: Session, actor: Actor, data: bytes, name: str) -> Verified:
    """Is this JSON file the package as issued? A changed file is refused with both hashes."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Invalid(
            f"{name}: not a JSON package file ({error})",
            field="file",
            hint="verify the .json export; HTML and PDF copies carry the sha256 to compare by eye",
        ) from None
    if (
        not isinstance(body, dict)
        or body.get("format") != document.FORMAT
        or not isinstance(body.get("reference"), str)
    ):
        raise Invalid(
            f"{name}: not a caseweave lead package (no {document.FORMAT!r} format and reference)",
            field="file",
        )
    try:
        package = find_package(session, actor, body["reference"], tracking=True)
    except NotFound:
        raise NotFound(
            f"{name}: package {body['reference']} was not issued here",
            field="reference",
            hint="check the database",
        ) from None
    stored_body(package)
    found = document.sha256_of(body)
    if found != package.sha256:
        raise Tampered(
            f"{name}: the file does not match package {package.reference} as issued "
            f"(sha256 {found[:16]}…, issued {package.sha256[:16]}…): it was altered after it was sent",
            field="file",
            hint=f"ask for a fresh copy: `caseweave package export {package.reference}`",
        )
    audit.record(
        session,
        actor,
        "package.verify",
        "package",
        [package.id],
        operation_id=package.operation_id,
        detail={"reference": package.reference, "file": name},
    )
    return Verified(
        package.reference, str(body["to"]["code"]), package.version, package.sha256, package.status
    )
