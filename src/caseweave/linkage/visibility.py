"""A subject is seen through its records: under the one policy, it exists for a viewer only where they
may see one of its records (a subject of hidden records answers exactly like a missing one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select

from caseweave.access.service import may_see
from caseweave.actor import Actor
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Subject, SubjectMember


def subject_visible(actor: Actor, subject_id: Any = Subject.id) -> ColumnElement[bool]:
    """SQL: the actor may see one of the records of `subject_id` (by default the row's Subject.id)."""
    return exists(
        select(SubjectMember.person_record_id)
        .join(PersonRecord, PersonRecord.id == SubjectMember.person_record_id)
        .where(SubjectMember.subject_id == subject_id, may_see(PersonRecord, actor))
    )
