"""Importers fuzzed from outside: mutated copies of every format's shipped examples, read by the
format's parser (with the text check every import applies), beside the raw decoder of the same bytes.

    .venv/bin/python bench/intake_fuzz.py                      # 100,000 inputs per format
    .venv/bin/python bench/intake_fuzz.py --inputs 2000        # a quick look

Each input is one of the format's readable examples with one to three mutations (a hostile token
inserted or put in place of a few bytes — a lone surrogate, a list where text is expected, 5,000
digits, "²", NUL, an XML entity —, a cut, a random byte). Reading it must end in items (a header
first) or in the project's own refusal (CaseweaveError, which names file, place and reason); any
other exception is a crash, counted and shown. The raw side decodes the same bytes with the library
the format stands on (json.loads, defusedxml, csv), refusals included: the floor of reading them at
all. RSS is read before and after: reading must not leak.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from defusedxml import ElementTree

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.intake.test_fuzz import TOKENS  # noqa: E402  (the hostile tokens the bounded test uses)

from caseweave.errors import CaseweaveError  # noqa: E402
from caseweave.intake.records import ReferralHeader  # noqa: E402
from caseweave.intake.registry import IMPORTERS, SNIFF_BYTES, choose_importer  # noqa: E402
from caseweave.intake.text_check import checked  # noqa: E402

# JSON values put in place of one value of a well-formed document, so that the parser's field checks
# are reached rather than the JSON decoder's refusal. _BIG becomes a 5,000-digit number.
_BIG = "__5000_digits__"
HOSTILE_VALUES: list[object] = [
    [1, 2], {}, None, True, 1.5e308, -1, 0, "", "\ud800", "\u00b2", "\u0663", "9" * 5000, "A" * 70000,
    "x\x00y", {"a": [[[]]]}, "1990-13-45", "tlp:red", "../../etc/passwd", _BIG, [{"type": []}],
]  # fmt: skip


HOSTILE_TEXTS = ["", "\u00b2", "\u0663", "9" * 5000, "A" * 70000, "-1", "1990-13-45", "true", " \t ", "&#0;"]


def mutate(rng: random.Random, content: bytes) -> bytes:
    if rng.random() < 0.5:
        replace = _replace_an_xml_text if content.lstrip().startswith(b"<") else _replace_a_json_value
        structured = replace(rng, content)
        if structured is not None:
            return structured
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(content))
        kind = rng.choice(("insert", "replace", "truncate", "byte", "repeat"))
        if kind == "insert":
            content = content[:at] + rng.choice(TOKENS) + content[at:]
        elif kind == "replace":
            content = content[:at] + rng.choice(TOKENS) + content[at + rng.randint(1, 12) :]
        elif kind == "truncate":
            content = content[:at]
        elif kind == "byte":
            content = content[:at] + bytes([rng.randrange(256)]) + content[at + 1 :]
        else:
            content = content[:at] + content[at : at + rng.randint(1, 200)] * 2 + content[at + 200 :]
    return content


def _replace_a_json_value(rng: random.Random, content: bytes) -> bytes | None:
    """The document (or one JSON line of it) with one value, anywhere in it, replaced by a hostile one."""
    lines = content.splitlines(keepends=True)
    whole = content.lstrip()[:1] in (b"{", b"[") and len(lines) > 1 and not lines[1].lstrip().startswith(b"{")
    index = 0 if whole else rng.randrange(len(lines)) if lines else 0
    target = content if whole else (lines[index] if lines else b"")
    try:
        document = json.loads(target)
    except ValueError:
        return None
    slots: list[tuple[object, object]] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                slots.append((node, key))
                collect(value)
        elif isinstance(node, list):
            for position, value in enumerate(node):
                slots.append((node, position))
                collect(value)

    collect(document)
    if not slots:
        return None
    parent, key = rng.choice(slots)
    parent[key] = rng.choice(HOSTILE_VALUES)  # type: ignore[index]
    text = json.dumps(document).replace(f'"{_BIG}"', "9" * 5000).encode()
    if whole:
        return text
    return b"".join(lines[:index]) + text + b"\n" + b"".join(lines[index + 1 :])


def _replace_an_xml_text(rng: random.Random, content: bytes) -> bytes | None:
    """The XML document with one element's text (or one attribute) replaced by a hostile text."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None
    element = rng.choice(list(root.iter()))
    if element.attrib and rng.random() < 0.3:
        element.set(rng.choice(list(element.attrib)), rng.choice(HOSTILE_TEXTS))
    else:
        element.text = rng.choice(HOSTILE_TEXTS)
    return bytes(ElementTree.tostring(root, encoding="utf-8"))


def ours(fmt: str, content: bytes) -> str:
    """read, refused or crash."""
    name = f"fuzzed.{fmt}"
    try:
        importer = choose_importer(fmt, content[:SNIFF_BYTES], name)
        items = list(checked(importer.parse(io.BytesIO(content), name), name))
    except CaseweaveError:
        return "refused"
    if not items or not isinstance(items[0], ReferralHeader):
        raise AssertionError("no header first")
    return "read"


def raw(fmt: str, content: bytes) -> None:
    try:
        if fmt == "cybertip":
            ElementTree.fromstring(content)
        elif content.lstrip()[:1] in (b"{", b"["):
            for line in content.splitlines() if fmt in ("platform", "chat") else [content]:
                if line.strip():
                    json.loads(line)
        else:
            list(csv.reader(io.StringIO(content.decode("utf-8"))))
    except Exception:  # the floor: refusals cost what they cost
        return


def _site(error: BaseException) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{type(error).__name__} at {Path(frame.filename).name}:{frame.lineno}"


def store(fmt: str, inputs: Iterator[bytes], every: int, crashes: Counter[str]) -> Counter[str]:
    """Every `every`th input imported in full (normalised and stored, --partial) into a fresh SQLite
    database: what the parser passes must store or be refused, never crash the insert."""
    from tests.support.world import build_world

    from caseweave.actor import Actor
    from caseweave.config import Settings
    from caseweave.db.runtime import Database
    from caseweave.intake.service import import_referral

    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="caseweave-fuzz-") as folder:
        db = Database.open(Settings(database_url=f"sqlite:///{folder}/fuzz.db"))
        world = build_world(db, db.settings, roles=("analyst",))
        actor = Actor.for_user(world.user("LEAD", "analyst"))
        for n, content in enumerate(inputs):
            if n % every:
                continue
            try:
                with db.transaction() as session:
                    outcome = import_referral(
                        session, actor, world.operation_id, io.BytesIO(content), f"fuzzed-{n}.{fmt}",
                        fmt=fmt, partial=True,
                    )  # fmt: skip
                outcomes["stored" if outcome.created else "duplicate"] += 1
            except CaseweaveError:
                outcomes["refused"] += 1
            except Exception as error:  # what this benchmark exists to find
                crashes[_site(error)] += 1
                outcomes["crash"] += 1
        db.close()
    return outcomes


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=100_000, help="mutated inputs per format")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--store-every", type=int, default=20, help="also import every Nth input into SQLite (0: never)"
    )
    args = parser.parse_args()
    print(f"# intake_fuzz {time.strftime('%Y-%m-%d %H:%M')}, {args.inputs} inputs per format", flush=True)
    crashes_total = 0
    for fmt, importer in sorted(IMPORTERS.items()):
        examples = [
            example.content for example in importer.examples() if not example.rejected and example.content
        ]

        def inputs(fmt: str = fmt, examples: list[bytes] = examples) -> Iterator[bytes]:
            """The same inputs each time it is called, made one at a time (100,000 would not fit)."""
            rng = random.Random(f"{args.seed}:{fmt}")
            for _ in range(args.inputs):
                yield mutate(rng, rng.choice(examples))

        before = rss_mb()
        outcomes: Counter[str] = Counter()
        crashes: Counter[str] = Counter()
        started = time.perf_counter()
        for content in inputs():
            try:
                outcomes[ours(fmt, content)] += 1
            except Exception as error:  # what this benchmark exists to find
                crashes[_site(error)] += 1
                outcomes["crash"] += 1
        ours_seconds = time.perf_counter() - started
        if args.store_every:
            stored = store(fmt, inputs(), args.store_every, crashes)
            outcomes["crash"] += stored.pop("crash", 0)
            print(f"{fmt}, every {args.store_every}th imported into SQLite: {dict(stored)}", flush=True)
        started = time.perf_counter()
        for content in inputs():
            raw(fmt, content)
        raw_seconds = time.perf_counter() - started
        crashes_total += outcomes["crash"]
        print(
            f"{fmt}: {dict(outcomes)}; ours {ours_seconds:.1f} s, raw decoder {raw_seconds:.1f} s "
            f"({ours_seconds / raw_seconds:.1f}x); RSS {before:.0f} -> {rss_mb():.0f} MB",
            flush=True,
        )
        for site, count in crashes.most_common(10):
            print(f"  crash x{count}: {site}")
    print(f"unhandled exceptions: {crashes_total}")
    sys.exit(1 if crashes_total else 0)


if __name__ == "__main__":
    main()
