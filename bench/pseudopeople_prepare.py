"""Write pseudopeople's multi-source sample population as one CSV for bench/linkage_accuracy.py.

pseudopeople (PyPI, IHME) simulates a US population and the records that census, surveys, the
Social Security Administration and tax forms hold of it, with realistic noise (typos, phonetic and
OCR errors, nicknames, swapped and missing fields, borrowed SSNs, people moving). Its bundled
sample covers one small town. It needs its own environment (its dependencies are not caseweave's):

    python3 -m venv /tmp/ppvenv && /tmp/ppvenv/bin/pip install pseudopeople==1.3.1
    /tmp/ppvenv/bin/python bench/pseudopeople_prepare.py /tmp/pseudopeople.csv

Columns: source, record_id, simulant_id (the truth), first_name, middle_initial, last_name,
date_of_birth (ISO, as noised; empty where missing or not a date), street_number, street_name,
unit_number, city, state, zipcode. Sources: the 2020 census, ACS and CPS survey responses, W-2 and
1099 forms (their mailing address), and SSA events (no address).
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

ADDRESS = ("street_number", "street_name", "unit_number", "city", "state", "zipcode")
COLUMNS = (
    "source",
    "record_id",
    "simulant_id",
    "first_name",
    "middle_initial",
    "last_name",
    "date_of_birth",
    *ADDRESS,
)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):  # NaN
        return ""
    return str(value).strip()


def _iso(value: Any) -> str:
    text = _text(value)
    for layout in ("%m/%d/%Y", "%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).date().isoformat()
        except ValueError:
            continue
    return ""


def main() -> None:
    import pseudopeople as psp  # type: ignore[import-not-found]  # only in its own environment

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/pseudopeople.csv")
    sources = {
        "census": (psp.generate_decennial_census, {}),
        "acs": (psp.generate_american_community_survey, {}),
        "cps": (psp.generate_current_population_survey, {}),
        "w2": (psp.generate_taxes_w2_and_1099, {"mailing_address_": True}),
        "ssa": (psp.generate_social_security, {}),
    }
    written = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for source, (generate, options) in sources.items():
            frame = generate(seed=0)
            prefix = "mailing_address_" if options else ""
            for n, row in enumerate(frame.to_dict("records")):
                writer.writerow(
                    {
                        "source": source,
                        "record_id": f"{source}-{n}",
                        "simulant_id": _text(row["simulant_id"]),
                        "first_name": _text(row.get("first_name")),
                        "middle_initial": _text(row.get("middle_initial") or row.get("middle_name"))[:1],
                        "last_name": _text(row.get("last_name")),
                        "date_of_birth": _iso(row.get("date_of_birth")),
                        **{
                            part: _text(row.get(prefix + part))
                            for part in (
                                "street_number",
                                "street_name",
                                "unit_number",
                                "city",
                                "state",
                                "zipcode",
                            )
                        },
                    }
                )
            written += len(frame)
            print(f"{source}: {len(frame):,} records", file=sys.stderr)
    print(f"wrote {written:,} records to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
