"""Whether a family name at an address is one person's or a household's.

A pair that agrees on a family name and an address but states nothing of the person (no given
name on one side, no date of birth on either) is one person where nobody else is known there, and
possibly two members of a household where the operation holds, under that family name at that
address, records born on different dates. Read from the run's feature table (DuckDB), where names
and addresses are already normalised as the model compares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def living_with_others(con: duckdb.DuckDBPyConnection, table: str, record_ids: Iterable[int]) -> set[int]:
    """The records whose family name and address (street and house number) other records share
    with two or more different dates of birth: a household, not one person."""
    asked = sorted(set(record_ids))
    if not asked:
        return set()
    rows = con.execute(
        f"""
        SELECT r.unique_id
        FROM {table} r
        JOIN {table} o
          ON o.family_name = r.family_name AND o.street = r.street
         AND o.street_number IS NOT DISTINCT FROM r.street_number
        WHERE r.unique_id IN (SELECT unnest(?::BIGINT[])) AND o.dob IS NOT NULL
        GROUP BY r.unique_id
        HAVING count(DISTINCT o.dob) > 1
        """,
        [asked],
    ).fetchall()
    return {int(row[0]) for row in rows}
