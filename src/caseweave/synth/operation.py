"""The whole operation: who appears in which referral, and the files written for it.

A UK-led operation across C countries that grew from one Canadian tip-off (`tipoff_CA.xml`, naming a
few members of the seized NightRelay chat room) and the seized room itself (`chat_export.jsonl`):
production-order returns from platforms, hotline reports and partner-agency referrals (MISP, STIX)
then name the same subjects again, differently, and hotlines' MISP tip-offs each name one account
with loose attributes and nothing tying them to a person. `truth.json` says who is who.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from caseweave.synth import chat, cybertip, misp, platforms
from caseweave.synth.context import Context
from caseweave.synth.people import CHAT_PLATFORM, PLATFORMS, Subject, Window, build_population
from caseweave.synth.truth import TruthWriter

HOTLINES = ("US", "AU", "NZ", "GB", "IE", "DE", "NL")


@dataclass(frozen=True)
class SynthSummary:
    out: Path
    subjects: int
    countries: int
    victims: int
    records: int  # truth records
    files: tuple[str, ...]  # every referral file written, sorted (truth.json not included)
    formats: dict[str, int] = field(default_factory=dict)  # format → number of files

    def describe(self) -> str:
        return (
            f"{self.subjects} subjects in {self.countries} countries, {self.victims} children at risk, "
            f"{len(self.files)} referral files and truth.json in {self.out}"
        )


def _chunks(rng: random.Random, items: list[Subject], low: int, high: int) -> list[list[Subject]]:
    out: list[list[Subject]] = []
    i = 0
    while i < len(items):
        size = rng.randint(low, high)
        out.append(list({id(s): s for s in items[i : i + size]}.values()))
        i += size
    return out


def _tipoffs(ctx: Context, people: list[Subject], hotlines: list[str]) -> int:
    """Hotlines' one-account MISP tip-offs: a third of the chat room's accounts and some platform
    accounts; the number of files written."""
    rng, window = ctx.rng, ctx.population.window
    numbers: Counter[str] = Counter()
    for subject in people:
        named: list[tuple[str, str]] = []
        if subject.chat_accounts and rng.random() < 0.33:
            named.append((CHAT_PLATFORM, subject.chat_accounts[0]))
        if rng.random() < 0.1:
            platform = rng.choice(PLATFORMS)
            named.append((platform, subject.handles[platform]))
        for platform, handle in named:
            country = rng.choice(hotlines)
            numbers[country] += 1
            when = window.at(0.97 + rng.random() * 0.029).replace(microsecond=0)  # after what it reports
            name = f"misp_tip_{country}_{numbers[country]}.json"
            misp.write_tipoff(ctx, name, country, subject, platform, handle, when)
    return sum(numbers.values())


def write_operation(
    out: Path, *, subjects: int = 700, countries: int = 35, seed: int = 1, start: date = date(2025, 1, 6)
) -> SynthSummary:
    """Generate the population and write every referral file plus truth.json into out (created if needed)."""
    # imported here: most commands never write STIX, and stix2 costs ~100 ms at start-up
    from caseweave.synth import stix

    rng = random.Random(seed)
    window = Window.before(start)
    population = build_population(rng, subjects, countries, window)
    people = population.subjects
    out.mkdir(parents=True, exist_ok=True)

    # Who appears where.
    chat_ids = {s.sid for s in people if rng.random() < 0.6}
    on_platform = {p: [s for s in people if rng.random() < 0.28] for p in PLATFORMS}
    agency: dict[str, list[Subject]] = defaultdict(list)
    hotline: dict[str, list[Subject]] = defaultdict(list)
    hotlines = [c for c in HOTLINES if c in population.countries]
    for subject in people:
        # Partner referrals: the home agency, sometimes again later, and sometimes a foreign agency.
        if rng.random() < 0.5:
            agency[subject.country].append(subject)
        if rng.random() < 0.12:
            agency[subject.country].append(subject)
        if rng.random() < 0.2:
            agency[rng.choice(population.countries)].append(subject)
        if rng.random() < 0.15:
            hotline[rng.choice(hotlines)].append(subject)
    canadians = [s for s in people if s.country == "CA"]
    seeds = canadians[:6] + [s for s in rng.sample(people, 2) if s not in canadians[:6]]
    chat_ids.update(s.sid for s in seeds)
    seen = {s.sid for group in [*on_platform.values(), *agency.values(), *hotline.values()] for s in group}
    chat_ids.update(s.sid for s in people if s.sid not in seen)

    formats: Counter[str] = Counter()
    with TruthWriter(out / "truth.json", population, seed=seed, start=start.isoformat()) as truth:
        ctx = Context(rng, population, truth, out)
        chat.write_chat(ctx, [s for s in people if s.sid in chat_ids])
        formats["chat"] += 1
        cybertip.write_report(ctx, "tipoff_CA.xml", seeds, tipoff=True)
        formats["cybertip"] += 1
        for country in hotlines:
            for n, group in enumerate(_chunks(rng, hotline[country], 1, 3), start=1):
                cybertip.write_report(ctx, f"cybertip_{country}_{n}.xml", group, tipoff=False)
                formats["cybertip"] += 1
        for platform in PLATFORMS:
            if platform in platforms.CSV_PLATFORMS:
                platforms.write_csv_platform(ctx, platform, on_platform[platform])
                formats["platform_csv"] += 1
            else:
                platforms.write_jsonl_platform(ctx, platform, on_platform[platform])
                formats["platform_jsonl"] += 1
        for index, country in enumerate(population.countries):
            numbers: Counter[str] = Counter()
            rng.shuffle(agency[country])
            for n, group in enumerate(_chunks(rng, agency[country], 3, 12), start=1):
                when = window.at(0.3 + rng.random() * 0.69).replace(microsecond=0)
                # The lead writes both; partners use the one their tools export.
                kind = (
                    ("stix" if n % 2 == 0 else "misp")
                    if country == "GB"
                    else ("stix", "misp")[index % 2 == 0]
                )
                numbers[kind] += 1
                name = f"{kind}_{country}_{numbers[kind]}.json"
                if kind == "stix":
                    stix.write_bundle(ctx, name, country, group, when)
                else:
                    misp.write_event(ctx, name, country, group, when)
                formats[kind] += 1
        formats["misp"] += _tipoffs(ctx, people, hotlines)
        truth.close(dict(sorted(formats.items())))
        total = truth.total
    return SynthSummary(
        out=out,
        subjects=len(people),
        countries=len({s.country for s in people}),
        victims=len(population.victims),
        records=total,
        files=tuple(sorted(ctx.files)),
        formats=dict(sorted(formats.items())),
    )
