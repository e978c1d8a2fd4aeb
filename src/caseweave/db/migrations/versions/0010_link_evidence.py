"""link evidence: each link stores what matched in words, so alerts need not decode the model's parts;
an alert's message lists the evidence with "; " between kinds (a model label holds ", ")

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 23:50:00.000000
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from caseweave.linkage.evidence import probable_match

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LINKS = sa.table(
    "links",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("selector_type", sa.String()),
    sa.column("contributions", sa.JSON()),
    sa.column("evidence", sa.String()),
)
ALERTS = sa.table(
    "alerts",
    sa.column("id", sa.Integer()),
    sa.column("disclosed", sa.Boolean()),
    sa.column("evidence", sa.JSON()),
    sa.column("message", sa.Text()),
)
BATCH = 5000
MATCHED_ON = "Matched on: "


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.String(length=400), nullable=True))
    connection = op.get_bind()
    connection.execute(
        sa.update(LINKS).where(LINKS.c.kind == "selector").values(evidence=LINKS.c.selector_type)
    )
    # the model's links: their label needs the parts
    for rows in _pages(sa.select(LINKS.c.id, LINKS.c.contributions).where(LINKS.c.kind == "probabilistic")):
        connection.execute(
            sa.update(LINKS)
            .where(LINKS.c.id == sa.bindparam("link_id"))
            .values(evidence=sa.bindparam("text")),
            [{"link_id": i, "text": probable_match(parts)} for i, parts in rows],
        )
    _rejoin_alert_evidence(", ", "; ")


def _rejoin_alert_evidence(old: str, new: str) -> None:
    """Messages keep their text; only the evidence list at their end is joined anew (an alert whose
    finding is unchanged must not look changed to the next run, which compares messages)."""
    connection = op.get_bind()
    query = sa.select(ALERTS.c.id, ALERTS.c.evidence, ALERTS.c.message).where(ALERTS.c.disclosed.is_(True))
    for rows in _pages(query):
        changed = []
        for alert_id, evidence, message in rows:
            before, after = MATCHED_ON + old.join(evidence or []), MATCHED_ON + new.join(evidence or [])
            if evidence and message.endswith(before):
                changed.append({"alert_id": alert_id, "text": message[: -len(before)] + after})
        if changed:
            connection.execute(
                sa.update(ALERTS)
                .where(ALERTS.c.id == sa.bindparam("alert_id"))
                .values(message=sa.bindparam("text")),
                changed,
            )


def _pages(query: sa.Select[Any]) -> Iterator[Sequence[Any]]:
    """The rows of a query whose first column is its table's id, BATCH at a time in id order (each
    page is read after the one before has been written)."""
    id_column = query.selected_columns[0]
    last = 0
    while rows := op.get_bind().execute(query.where(id_column > last).order_by(id_column).limit(BATCH)).all():
        yield rows
        last = rows[-1][0]


def downgrade() -> None:
    _rejoin_alert_evidence("; ", ", ")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_column("evidence")
