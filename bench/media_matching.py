"""Media matching benchmark: caseweave's PDQ index beside raw faiss over the same bank and queries.

    .venv/bin/python bench/media_matching.py                      # 1M and 10M random PDQ hashes
    .venv/bin/python bench/media_matching.py --sizes 1000000 --queries 4000

A bank of N random 256-bit PDQ hashes; Q queries per size, half of them altered copies of bank
hashes (0-31 random bits flipped: what resizing and recompression do) and half unrelated. Each round
times, one after the other on the same machine:

- raw: faiss IndexBinaryFlat.range_search(uint8 codes, radius 32) on a bare index of the codes;
- caseweave: `PdqIndex.search(codes_of(hex strings), 31)`, the call matching makes: from the
  normalised hex strings a hash set holds to (query, media_hashes id, distance) rows.

Reported: the median of the rounds for each, the ratio (goal <= 1.1), lookups/s (goal >= 4,000 at 1M)
and recall of the planted copies (goal 1.0; also checked equal to raw faiss, pair for pair). Building
the index (add + save + load of the persisted file) is timed once per size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from caseweave.media.index import Codes, PdqIndex, codes_of  # noqa: E402

MAX_DISTANCE = 31  # Settings.media_pdq_max_distance


def bank_codes(size: int, seed: int) -> Codes:
    return np.random.default_rng(seed).integers(0, 256, size=(size, 32), dtype=np.uint8)


def queries(bank: Codes, count: int, seed: int) -> tuple[Codes, npt.NDArray[np.int64]]:
    """(codes, source row of each planted copy or -1): half altered copies, half unrelated."""
    rng = np.random.default_rng(seed + 1)
    planted = count // 2
    source = rng.integers(0, len(bank), size=planted)
    copies = np.unpackbits(bank[source], axis=1)
    for row in range(planted):
        flips = rng.choice(256, size=int(rng.integers(0, MAX_DISTANCE + 1)), replace=False)
        copies[row, flips] ^= 1
    unrelated = rng.integers(0, 256, size=(count - planted, 32), dtype=np.uint8)
    codes = np.concatenate([np.packbits(copies, axis=1), unrelated])
    return codes, np.concatenate([source, np.full(count - planted, -1)])


def bench_size(size: int, count: int, rounds: int, seed: int) -> dict[str, float]:
    bank = bank_codes(size, seed)
    codes, source = queries(bank, count, seed)
    hexes = [row.tobytes().hex() for row in codes]  # what a hash set holds
    ids = np.arange(1, size + 1, dtype=np.int64)  # media_hashes ids: row r is id r + 1

    start = time.perf_counter()
    built = PdqIndex()
    built.add(ids, bank)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.pdq-index.npz"
        built.save(path)
        ours = PdqIndex.load(path)
    assert ours is not None and len(ours) == size
    build = time.perf_counter() - start
    del built
    raw = faiss.IndexBinaryFlat(256)
    raw.add(bank)

    raw_times: list[float] = []
    our_times: list[float] = []
    raw_pairs: set[tuple[int, int]] = set()
    our_pairs: set[tuple[int, int]] = set()
    for _ in range(rounds):  # interleaved, so load on the shared machine hits both alike
        start = time.perf_counter()
        limits, _, positions = raw.range_search(codes, MAX_DISTANCE + 1)
        raw_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        hits = ours.search(codes_of(hexes), MAX_DISTANCE)
        our_times.append(time.perf_counter() - start)
        rows = np.repeat(np.arange(count), np.diff(limits).astype(np.int64))
        raw_pairs = set(zip(rows.tolist(), (positions + 1).tolist(), strict=True))
        our_pairs = set(zip(hits.query.tolist(), hits.hash_id.tolist(), strict=True))
    assert our_pairs == raw_pairs, "caseweave and raw faiss disagree"
    planted = [(q, int(s) + 1) for q, s in enumerate(source) if s >= 0]
    recall = sum(1 for pair in planted if pair in our_pairs) / len(planted)
    raw_s, ours_s = statistics.median(raw_times), statistics.median(our_times)
    return {
        "raw_s": raw_s,
        "ours_s": ours_s,
        "ratio": ours_s / raw_s,
        "raw_qps": count / raw_s,
        "ours_qps": count / ours_s,
        "recall": recall,
        "build_s": build,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=2000, help="queries at 1M; scaled down 10x at 10M")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; PDQ radius {MAX_DISTANCE}")
    print(
        "size        queries  raw faiss   caseweave   ratio  lookups/s (raw / ours)  recall  build+save+load"
    )
    for size in args.sizes:
        count = max(100, args.queries * 1_000_000 // max(size, 1_000_000))
        r = bench_size(size, count, args.rounds, args.seed)
        print(
            f"{size:>10,}  {count:>7,}  {r['raw_s']:>8.3f} s  {r['ours_s']:>8.3f} s  {r['ratio']:>5.2f}  "
            f"{r['raw_qps']:>9,.0f} / {r['ours_qps']:>9,.0f}  {r['recall']:>6.3f}  {r['build_s']:>6.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
