"""Media matching benchmark: caseweave's PDQ index beside raw faiss over the same bank and queries.

    .venv/bin/python bench/media_matching.py --bank 1000000                 # 10,000 queries, 3 rounds
    .venv/bin/python bench/media_matching.py --bank 10000000 --queries 2000 --rounds 1

A bank of N random 256-bit PDQ hashes; Q queries, half of them altered copies of bank hashes (0-31
random bits flipped: what resizing and recompression do) and half unrelated. In one process, on the
same bank and the same batch of queries, each round times one after the other:

- raw multi-hash: faiss `IndexBinaryMultiHash(256, nhash=16, b=16)`, nflip 1, `range_search(codes, 32)`
  on the uint8 codes: the index Meta's python-threatexchange uses for PDQ, built and searched by hand;
- caseweave: `PdqIndex.search(codes_of(hex strings), 31)`, the call matching makes: from the
  normalised hex strings a hash set holds to (query, media_hashes id, distance) rows, in one batch.

and, as a reference line, brute force (faiss `IndexBinaryFlat.range_search`) on a sample of the
queries (1,000), which is also the truth the other two are checked against pair for pair.

Reported per bank: build time of each index (caseweave's: add + tables + save + load of the persisted
file), the median lookups/s over the rounds (batched; goal >= 4,000 at 1M), the ratio of caseweave's
time to raw faiss multi-hash (goal <= 1.1), recall of the planted copies (goal 1.0) and against brute
force on the sample, and memory: the RSS each index added and the process's peak RSS.
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
SAMPLE = 1000  # queries checked against brute force

Pairs = set[tuple[int, int, int]]  # (query, media_hashes id, distance)


def memory() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


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
    order = rng.permutation(count)  # planted copies and misses mixed in the batch
    return codes[order], np.concatenate([source, np.full(count - planted, -1)])[order]


def raw_pairs(limits: npt.NDArray[np.uint64], distances: np.ndarray, positions: np.ndarray) -> Pairs:
    rows = np.repeat(np.arange(len(limits) - 1), np.diff(limits).astype(np.int64))
    return set(zip(rows.tolist(), (positions + 1).tolist(), distances.tolist(), strict=True))


def bench_bank(size: int, count: int, rounds: int, seed: int) -> dict[str, float]:
    bank = bank_codes(size, seed)
    codes, source = queries(bank, count, seed)
    hexes = [row.tobytes().hex() for row in codes]  # what a hash set holds
    ids = np.arange(1, size + 1, dtype=np.int64)  # media_hashes ids: row r is id r + 1
    r: dict[str, float] = {}

    rss = memory()[0]
    start = time.perf_counter()
    built = PdqIndex()
    built.add(ids, bank)
    built.prepare()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.pdq-index.npz"
        built.save(path)
        del built
        ours = PdqIndex.load(path)
    assert ours is not None and len(ours) == size
    r["ours_build_s"] = time.perf_counter() - start
    r["ours_mib"], rss = memory()[0] - rss, memory()[0]

    start = time.perf_counter()
    raw = faiss.IndexBinaryMultiHash(256, 16, 16)
    raw.nflip = 1
    raw.add(bank)
    r["raw_build_s"] = time.perf_counter() - start
    r["raw_mib"], rss = memory()[0] - rss, memory()[0]

    start = time.perf_counter()
    flat = faiss.IndexBinaryFlat(256)
    flat.add(bank)
    r["flat_build_s"] = time.perf_counter() - start
    r["flat_mib"] = memory()[0] - rss

    raw_times: list[float] = []
    our_times: list[float] = []
    raw_found: Pairs = set()
    our_found: Pairs = set()
    for _ in range(rounds):  # interleaved, so load on the shared machine hits both alike
        start = time.perf_counter()
        limits, distances, positions = raw.range_search(codes, MAX_DISTANCE + 1)
        raw_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        hits = ours.search(codes_of(hexes), MAX_DISTANCE)
        our_times.append(time.perf_counter() - start)
        raw_found = raw_pairs(limits, distances, positions)
        our_found = set(zip(hits.query.tolist(), hits.hash_id.tolist(), hits.distance.tolist(), strict=True))
    assert our_found == raw_found, "caseweave and raw faiss multi-hash disagree"

    sample = min(SAMPLE, count)
    start = time.perf_counter()
    truth = raw_pairs(*flat.range_search(codes[:sample], MAX_DISTANCE + 1))
    r["flat_qps"] = sample / (time.perf_counter() - start)
    r["sample_recall"] = len(truth & our_found) / len(truth)
    r["sample_exact"] = float({p for p in our_found if p[0] < sample} == truth)

    planted = {(q, int(s) + 1) for q, s in enumerate(source) if s >= 0}
    r["recall"] = len(planted & {(q, h) for q, h, _ in our_found}) / len(planted)
    r["raw_qps"] = count / statistics.median(raw_times)
    r["ours_qps"] = count / statistics.median(our_times)
    r["ratio"] = statistics.median(our_times) / statistics.median(raw_times)
    r["peak_mib"] = memory()[1]
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bank", type=int, nargs="+", default=[1_000_000], help="bank sizes")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; numpy {np.__version__}; "
        f"PDQ radius {MAX_DISTANCE}; {args.queries:,} queries, {args.rounds} rounds",
        flush=True,
    )
    for size in args.bank:
        r = bench_bank(size, args.queries, args.rounds, args.seed)
        print(
            f"bank {size:,}\n"
            f"  build           raw multi-hash {r['raw_build_s']:.1f} s (+{r['raw_mib']:,.0f} MiB)   "
            f"caseweave {r['ours_build_s']:.1f} s (+{r['ours_mib']:,.0f} MiB, add+tables+save+load)   "
            f"flat {r['flat_build_s']:.1f} s (+{r['flat_mib']:,.0f} MiB)\n"
            f"  lookups/s       raw multi-hash {r['raw_qps']:,.0f}   caseweave {r['ours_qps']:,.0f}   "
            f"ratio ours/raw {r['ratio']:.2f}\n"
            f"  brute force     raw IndexBinaryFlat {r['flat_qps']:,.0f} lookups/s "
            f"({min(SAMPLE, args.queries):,} queries)\n"
            f"  recall          planted {r['recall']:.4f}   vs brute force {r['sample_recall']:.4f} "
            f"(same pairs and distances: {bool(r['sample_exact'])})\n"
            f"  peak RSS        {r['peak_mib']:,.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
