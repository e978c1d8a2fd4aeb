"""What the person model reads, as SQL over the raw features (`features.SCHEMA` rows): one
definition for a fresh build and for the records a cached build appends or rebuilds
(linkage.feature_cache).

A selector value held by more than `link_max_persons_per_value` records (for an IP-day or IP-week:
its address) is over-correlating, as in exact correlation: it is left out of its array, of the
block tokens and of the first e-mail / handle / address. Handles and their cores stay for
comparison however common; only their block tokens go.
"""

from __future__ import annotations

from caseweave.linkage.features import _TOKEN_TAGS, ARRAYS, SELECTOR_ARRAYS

COUNTED = tuple(column for column in ARRAYS if column != "numbered_cores")  # compared, never filtered
PERIODS = ("ip_days", "ip_weeks")  # keyed by their address
FIRSTS = {"first_email": "emails", "first_handle": "handles", "first_ip": "ips"}


def key(column: str) -> str:
    return "split_part(v, '|', 1)" if column in PERIODS else "v"


def flat(source: str) -> str:
    """(unique_id, col, k, v): every value of the counted arrays of `source`, with its key."""
    return " UNION ALL ".join(
        f"SELECT unique_id, '{c}' AS col, {key(c)} AS k, v "
        f"FROM (SELECT unique_id, unnest({c}) AS v FROM {source})"
        for c in COUNTED
    )


def counts(source: str) -> str:
    return f"SELECT col, k, count(DISTINCT unique_id) AS n FROM ({flat(source)}) GROUP BY col, k"


def over_limit(counts_table: str, max_records: int) -> str:
    """(col, k): the keys more than max_records records hold."""
    return f"SELECT col, k FROM {counts_table} WHERE n > {int(max_records)}"


def filtered(source: str, over: str) -> str:
    """The rows of `source` as the model reads them: a value whose key is in the table `over`
    (over_limit) is left out of its array, of the block tokens and of the firsts (NULL where none
    is left, as a missing field). Most records hold no such value: their rows are made from their
    own arrays; only the others are taken apart value by value and put together again."""
    plain_tokens = ", ".join(
        f"coalesce(list_transform(f.{c}, lambda v: '{t}:' || v), [])" for c, t in _TOKEN_TAGS.items()
    )
    plain = [
        *(f"f.{c}" for c in SELECTOR_ARRAYS),
        f"nullif(list_sort(list_concat({plain_tokens})), []) AS block_tokens",
        *(f"list_min(f.{c}) AS {name}" for name, c in FIRSTS.items()),
    ]
    tag = "CASE col " + " ".join(f"WHEN '{c}' THEN '{t}:'" for c, t in _TOKEN_TAGS.items()) + " END || v"
    tokens = ", ".join(f"'{c}'" for c in _TOKEN_TAGS)
    aggregates = [f"list(v ORDER BY v) FILTER (WHERE col = '{c}') AS {c}" for c in SELECTOR_ARRAYS]
    aggregates.append(f"list({tag} ORDER BY {tag}) FILTER (WHERE col IN ({tokens})) AS block_tokens")
    aggregates += [f"min(v) FILTER (WHERE col = '{c}') AS {name}" for name, c in FIRSTS.items()]
    kept = [f"per.{c}" for c in (*SELECTOR_ARRAYS, "block_tokens", *FIRSTS)]
    rest = f"f.* EXCLUDE ({', '.join(SELECTOR_ARRAYS)})"
    return f"""
        WITH flat AS ({flat(source)}),
        affected AS (
            SELECT DISTINCT flat.unique_id FROM flat
            SEMI JOIN {over} o ON o.col = flat.col AND o.k = flat.k
        ),
        kept AS (
            SELECT flat.unique_id, flat.col, flat.v FROM flat
            SEMI JOIN affected a ON a.unique_id = flat.unique_id
            ANTI JOIN {over} o ON o.col = flat.col AND o.k = flat.k
        ),
        per AS (SELECT unique_id, {", ".join(aggregates)} FROM kept GROUP BY unique_id)
        SELECT {rest}, {", ".join(plain)}
        FROM {source} f ANTI JOIN affected a ON a.unique_id = f.unique_id
        UNION ALL
        SELECT {rest}, {", ".join(kept)}
        FROM {source} f SEMI JOIN affected a ON a.unique_id = f.unique_id
        LEFT JOIN per ON per.unique_id = f.unique_id
    """
