"""A subject is seen through its records: under the one policy, it exists for a viewer only where they
may see one of its records (a subject of hidden records answers exactly like a missing one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select, true

from caseweave.access.policy import visible
from caseweave.actor import Actor
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Subject, SubjectMember


def may_see(model: Any, actor: Actor) -> ColumnElement[bool]:
    """The policy for users; the CLI operator (shell access to the database anyway) sees all."""
    return true() if actor.is_operator else visible(model, actor.viewer)


def subject_visible(actor: Actor, subject_id: Any = Subject.id) -> ColumnElement[bool]:
    """SQL: the actor may see one of the records of `subject_id` (by default the row's Subject.id)."""
    return exists(
        select(SubjectMember.person_record_id)
        .join(PersonRecord, PersonRecord.id == SubjectMember.person_record_id)
        .where(SubjectMember.subject_id == subject_id, may_see(PersonRecord, actor))
    )
