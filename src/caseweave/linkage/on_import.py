"""Link a referral as soon as it is imported: exact correlation (and the trained model, when the
operation has one) against everything stored, so holders are alerted the same minute.

It runs in a SAVEPOINT inside the import's transaction: if linking fails, the referral is kept
(nothing is lost) and the answer says so; `caseweave link` links it later.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.errors import CaseweaveError
from caseweave.intake.models import PersonRecord, Referral
from caseweave.linkage.models import LinkageModel
from caseweave.linkage.service import RunSummary, link_operation

log = logging.getLogger(__name__)


def link_after_import(
    session: Session, actor: Actor, settings: Settings, referral: Referral
) -> RunSummary | str:
    """The run's summary, or why linking failed (the import stands either way). Only the referral's
    own person records are linked: records an earlier failed run left unlinked wait for `caseweave link`."""
    operation_id = referral.operation_id
    seeds = list(session.scalars(select(PersonRecord.id).where(PersonRecord.referral_id == referral.id)))
    trained = session.scalar(
        select(LinkageModel.id).where(
            LinkageModel.operation_id == operation_id, LinkageModel.active.is_(True)
        )
    )
    try:
        with session.begin_nested():
            return link_operation(
                session, actor, settings, operation_id, use_model=trained is not None, seeds=seeds
            )
    except (CaseweaveError, SQLAlchemyError, ValueError, RuntimeError) as error:
        log.exception("linking after import failed")
        return f"imported, but not yet linked ({type(error).__name__}: {error}); run `caseweave link`"
