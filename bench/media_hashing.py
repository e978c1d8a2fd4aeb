"""Media hashing benchmark: `hash_paths` beside a bare pdqhash + Pillow + hashlib loop, same files, same run.

    .venv/bin/python bench/media_hashing.py --images 300 --rounds 3

Files: `--images` generated benign JPEG/PNG images (320-1280 px, in a temporary folder) plus every
file of ../shared/testdata/pdq. The bare loop reads each file whole, takes MD5, SHA-1 and SHA-256,
and for images decodes with Pillow and runs pdqhash.compute: the floor for any hasher. caseweave
also walks the folders, sniffs media kinds, journals every result for resuming and writes the VICS
hash set. Goal (issue 6): throughput ≥ 0.95× the bare loop with one worker, ≥ 1.8× with two.
Rounds are interleaved and the median is reported; each caseweave round starts with no journal.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from caseweave.media.generated import write_benign_images
from caseweave.media.hash_run import hash_paths, journal_path
from caseweave.media.hashing import IMAGE_SUFFIXES

TESTDATA = Path(__file__).resolve().parents[2] / "shared/testdata/pdq"


def bare_loop(files: list[Path]) -> int:
    """What a hand-written script does; returns how many PDQ hashes it made."""
    made = 0
    for path in files:
        data = path.read_bytes()
        hashlib.md5(data).hexdigest()
        hashlib.sha1(data).hexdigest()
        hashlib.sha256(data).hexdigest()
        if path.suffix.lower() in IMAGE_SUFFIXES:
            try:
                with Image.open(io.BytesIO(data)) as image:
                    vector, _ = pdqhash.compute(np.asarray(image.convert("RGB")))
                np.packbits(vector.astype(np.uint8)).tobytes().hex()
                made += 1
            except Exception:  # the bare loop skips what it cannot decode, as a script would
                continue
    return made


def bare_processes(files: list[Path], processes: int) -> int:
    """The bare loop split over processes by hand (every n-th file): what this machine's cores give."""
    with ProcessPoolExecutor(processes) as pool:
        return sum(pool.map(bare_loop, [files[i::processes] for i in range(processes)]))


def ours(roots: list[Path], out: Path, workers: int) -> int:
    out.unlink(missing_ok=True)
    journal_path(out).unlink(missing_ok=True)
    return hash_paths(roots, out, "vics", workers=workers).pdq


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the worker processes): load-independent."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"before: {load()}  (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "generated"
        half = args.images // 2
        write_benign_images(folder, half, seed=11)
        write_benign_images(folder / "png", args.images - half, seed=12, suffix=".png")
        roots = [folder]
        if TESTDATA.is_dir():
            shutil.copytree(TESTDATA, Path(temp) / "pdq")
            roots.append(Path(temp) / "pdq")
        files = sorted(p for root in roots for p in root.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in files)
        print(f"{len(files)} files, {size / 1e6:.1f} MB")
        out = Path(temp) / "out.json"
        parallel = [w for w in args.workers if w > 1]
        sides = ["bare", *(f"bare-{w}" for w in parallel), *(f"ours-{w}" for w in args.workers)]
        timings: dict[str, list[float]] = {side: [] for side in sides}
        cpu: dict[str, list[float]] = {side: [] for side in sides}
        made = {
            "bare": bare_loop(files),
            **{f"bare-{w}": bare_processes(files, w) for w in parallel},
            **{f"ours-{w}": ours(roots, out, w) for w in args.workers},
        }  # warm-up
        assert len(set(made.values())) == 1, made  # the same images hashed on every side
        for _ in range(args.rounds):
            for side in sides:
                start, start_cpu = time.perf_counter(), cpu_seconds()
                if side == "bare":
                    bare_loop(files)
                elif side.startswith("bare-"):
                    bare_processes(files, int(side.split("-")[1]))
                else:
                    ours(roots, out, int(side.split("-")[1]))
                timings[side].append(time.perf_counter() - start)
                cpu[side].append(cpu_seconds() - start_cpu)
    bare, bare_cpu = statistics.median(timings["bare"]), statistics.median(cpu["bare"])
    rate = len(files) / bare
    print(f"bare loop: {bare:.2f} s wall, {bare_cpu:.2f} s CPU, {rate:.0f} files/s ({made['bare']} PDQ)")
    for w in parallel:
        took, took_cpu = statistics.median(timings[f"bare-{w}"]), statistics.median(cpu[f"bare-{w}"])
        print(
            f"bare loop split over {w} processes by hand: {took:.2f} s wall, {took_cpu:.2f} s CPU;"
            f" throughput ratio {bare / took:.2f}× (the machine's ceiling for {w} workers)"
        )
    for w in args.workers:
        took, took_cpu = statistics.median(timings[f"ours-{w}"]), statistics.median(cpu[f"ours-{w}"])
        print(
            f"caseweave, {w} worker(s): {took:.2f} s wall, {took_cpu:.2f} s CPU,"
            f" {len(files) / took:.0f} files/s;"
            f" throughput ratio {bare / took:.2f}× (CPU per file {took_cpu / bare_cpu:.2f}× the bare loop's)"
        )
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
