"""A family name at an address is a household where others there were born on other dates."""

from __future__ import annotations

import duckdb

from caseweave.linkage.households import living_with_others


def test_records_sharing_a_name_and_address_with_people_born_on_other_dates_are_a_household() -> None:
    con = duckdb.connect(":memory:")
    con.execute(
        "CREATE TABLE records (unique_id BIGINT, family_name VARCHAR, street_number VARCHAR, "
        "street VARCHAR, dob VARCHAR)"
    )
    con.executemany(
        "INSERT INTO records VALUES (?, ?, ?, ?, ?)",
        [
            # the Ames household: a mother and a son on census forms, two tax forms naming no one
            (1, "ames", "12", "elm st", "1970-03-01"),
            (2, "ames", "12", "elm st", "2001-07-19"),
            (3, "ames", "12", "elm st", None),
            (4, "ames", "12", "elm st", None),
            # one person's two records: the same date of birth, or none
            (5, "cole", "7", "oak rd", "1980-01-02"),
            (6, "cole", "7", "oak rd", "1980-01-02"),
            (7, "cole", "7", "oak rd", None),
            # another family at the Ames's address, another Ames elsewhere
            (8, "booth", "12", "elm st", "1955-05-05"),
            (9, "ames", "14", "elm st", "1990-09-09"),
            # no house number on either side: the same street address still
            (10, "dunn", None, "high st", "1961-01-01"),
            (11, "dunn", None, "high st", "1999-12-31"),
        ],
    )
    assert living_with_others(con, "records", range(1, 12)) == {1, 2, 3, 4, 10, 11}
    assert living_with_others(con, "records", [3, 7, 9]) == {3}
    assert living_with_others(con, "records", []) == set()
