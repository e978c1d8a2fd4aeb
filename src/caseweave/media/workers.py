"""Hash batches of files, in this process (one worker) or in a pool of worker processes.

One worker hashes in the calling process: no pickling, no process start-up, so a single-core run
costs what a plain loop costs. N > 1 workers are processes fed small batches through a bounded
window, so results stream back while the rest waits and a slow file does not hold much back.

A decoder that crashes its process on hostile bytes (a segfault in a C library) breaks the pool:
the files of the batches in flight are then hashed again one at a time in a one-process pool, so a
file that crashes it is known for certain and reported as a problem. The run goes on either way.
"""

from __future__ import annotations

import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from caseweave.media.hashing import Limits, hash_stream, vpdq_of_file
from caseweave.media.records import FileHashes, FileProblem
from caseweave.media.walk import FileItem, MemberItem

Item = FileItem | MemberItem
Outcome = FileHashes | FileProblem
Hasher = Callable[[list[Item], Limits, bool], list[Outcome]]
BATCH = 8
CRASHED = "the hashing process crashed on this file (a decoder fault on its bytes); not hashed"


def hash_batch(batch: list[Item], limits: Limits, want_vpdq: bool) -> list[Outcome]:
    """Hash a few files (a worker's task); one archive is opened once for its members in the batch."""
    outcomes: list[Outcome] = []
    archives: dict[str, zipfile.ZipFile] = {}
    try:
        for item in batch:
            outcomes.append(_hash_one(item, limits, want_vpdq, archives))
    finally:
        for archive in archives.values():
            archive.close()
    return outcomes


def hash_batches(
    batches: list[list[Item]], workers: int, limits: Limits, want_vpdq: bool, hasher: Hasher = hash_batch
) -> Iterator[tuple[Item, Outcome]]:
    """Every item with its outcome, in completion order."""
    if workers <= 1:
        for batch in batches:
            yield from zip(batch, hasher(batch, limits, want_vpdq), strict=True)
        return
    queue = deque(batches)
    while queue:
        crashed: list[list[Item]] = []
        yield from _pool_round(queue, crashed, workers, limits, want_vpdq, hasher)
        yield from _isolate([item for batch in crashed for item in batch], limits, want_vpdq, hasher)


def _isolate(
    suspects: list[Item], limits: Limits, want_vpdq: bool, hasher: Hasher
) -> Iterator[tuple[Item, Outcome]]:
    """Each file of the batches lost in a crash, alone in a one-process pool: a crash now is its own."""
    pending = deque(suspects)
    while pending:
        with ProcessPoolExecutor(max_workers=1) as pool:
            while pending:
                item = pending.popleft()
                try:
                    [outcome] = pool.submit(hasher, [item], limits, want_vpdq).result()
                except BrokenProcessPool:
                    yield item, FileProblem(item.display, CRASHED)
                    break  # this pool died with it: a fresh one for the rest
                yield item, outcome


def _pool_round(
    queue: deque[list[Item]],
    crashed: list[list[Item]],
    workers: int,
    limits: Limits,
    want_vpdq: bool,
    hasher: Hasher,
) -> Iterator[tuple[Item, Outcome]]:
    """Run the queue on one pool until it is empty or the pool breaks (then crashed holds the lost)."""
    broken = False
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future[list[Outcome]], list[Item]] = {}
        try:
            while pending or (queue and not broken):
                while queue and not broken and len(pending) < workers * 4:
                    batch = queue.popleft()
                    try:
                        pending[pool.submit(hasher, batch, limits, want_vpdq)] = batch
                    except BrokenProcessPool:
                        queue.appendleft(batch)
                        broken = True
                finished, _ = wait(pending, return_when=FIRST_COMPLETED) if pending else (set(), set())
                for future in finished:
                    batch = pending.pop(future)
                    try:
                        outcomes = future.result()
                    except BrokenProcessPool:
                        crashed.append(batch)
                        broken = True
                        continue
                    yield from zip(batch, outcomes, strict=True)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _hash_one(item: Item, limits: Limits, want_vpdq: bool, archives: dict[str, zipfile.ZipFile]) -> Outcome:
    try:
        if isinstance(item, FileItem):
            with open(item.path, "rb") as stream:
                result = hash_stream(stream, item.display, item.size, limits)
            if result.kind == "video" and want_vpdq:
                result = _with_vpdq(result, item.path)
            return result
        archive = archives.get(item.archive)
        if archive is None:
            archive = archives[item.archive] = zipfile.ZipFile(item.archive)
        with archive.open(item.member) as stream:
            return hash_stream(stream, item.display, item.size, limits)
    except OSError as error:
        return FileProblem(item.display, f"cannot read: {error.strerror or error}")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as error:
        # a damaged member (bad CRC, cut short, unknown compression) spoils only itself
        return FileProblem(item.display, f"corrupt zip member: {error or type(error).__name__}")


def _with_vpdq(result: FileHashes, path: str) -> FileHashes:
    try:
        return replace(result, vpdq=vpdq_of_file(path))
    except Exception as error:  # FFmpeg refuses many damaged files, each in its own way
        return replace(result, problem=f"vPDQ failed: {str(error)[:200] or type(error).__name__}")
