"""The demo's tail: receiving agencies take their packages on and report what became of their subjects
(arrests, charges, pleas, verdicts, sentences), and the children of the media series are recorded,
identified and safeguarded — so the operation's figures have something to show over time and per country.

Everything goes through the services, each step as the demo user of the agency that does it; a seeded
random.Random makes every `make demo` the same. Dates lie between the operation's start and today,
in order per subject (arrest ≤ charge ≤ plea ≤ verdict ≤ sentence); a step that would fall after today
is not recorded yet. A second run finds the outcomes recorded and adds nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseweave.access.labels import CASE_WRITERS, TLP
from caseweave.actor import Actor
from caseweave.auth.service import user_by_name
from caseweave.config import Settings
from caseweave.demo.media import SERIES
from caseweave.demo.roster import DEMO_USERS
from caseweave.dissemination.models import Package, PackageSubject
from caseweave.dissemination.workflow import acknowledge, mark_received, report_outcome
from caseweave.linkage.models import Subject
from caseweave.linkage.visibility import subject_visible
from caseweave.operations.models import Agency, Operation
from caseweave.outcomes.models import OutcomeEvent
from caseweave.outcomes.service import OutcomeIn, add_outcome
from caseweave.victims.models import Victim
from caseweave.victims.service import add_victim, link_victim, set_status

SEED = 31
VICTIMS = 40
SAFEGUARDED = 31  # as in the real case
IDENTIFIED = 4  # identified, not yet safeguarded; the rest unidentified
LEAD_ARRESTS, LEAD_CHARGES = 0.75, 0.62  # shares of the lead country's routed subjects: > half prosecuted
ARRESTS, CHARGES = 0.40, 0.60  # elsewhere: of routed subjects, then of those arrested
UNACKNOWLEDGED = 7  # every 7th package (never the lead's) stays open, so the overdue list has content
HOST_SENTENCE = "indeterminate sentence for public protection"
OFFENCES = (
    "possessing and distributing indecent images of children",
    "making indecent images of children",
    "distributing indecent images of children",
    "possessing indecent images of children",
    "arranging the commission of a child sex offence",
    "causing or inciting a child to engage in sexual activity",
)
SENTENCES = (
    "{y} years' imprisonment; sexual harm prevention order for 10 years",
    "{y} years {m} months' imprisonment; sex offender registration for life",
    "{m} months' imprisonment suspended for 2 years; 200 hours unpaid work",
    "community order with 3 years' supervision; sexual harm prevention order for 5 years",
    "{y} years' imprisonment",
)
NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


@dataclass
class DemoOutcomes:
    created: bool  # False: a run before recorded them, nothing was added
    packages_acknowledged: int
    packages_open: int
    outcomes: dict[str, int]  # kind -> events
    indeterminate: int
    victims: dict[str, int]  # status -> victims

    def describe(self) -> str:
        kinds = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in self.outcomes.items())
        victims = ", ".join(f"{n} {status}" for status, n in self.victims.items())
        state = "recorded" if self.created else "already recorded"
        return (
            f"outcomes {state}: {self.packages_acknowledged} packages acknowledged, "
            f"{self.packages_open} open; "
            f"{kinds} ({self.indeterminate} indeterminate); victims: {victims}"
        )


def record_demo_outcomes(
    session: Session, operator: Actor, settings: Settings, operation: Operation
) -> DemoOutcomes:
    """Acknowledge packages, record outcomes and victims as the agencies' demo users; once."""
    del operator, settings  # every step is taken by an agency's user; kept for the demo's call shape
    if not _recorded(session, operation):
        rng = random.Random(SEED)
        today = date.today()
        lead = session.get_one(Agency, operation.lead_agency_id)
        packages = list(
            session.scalars(
                select(Package)
                .where(Package.operation_id == operation.id, Package.superseded_at.is_(None))
                .order_by(Package.reference)
            )
        )
        writers = _writers(session)
        arrests: dict[int, tuple[str, date]] = {}  # subject id -> agency code, arrest date
        for index, package in enumerate(packages):
            agency = session.get_one(Agency, package.agency_id)
            actor = writers.get(agency.code)
            if actor is None:
                continue
            # the real packages went out over the operation's first months
            arrived = min(operation.start_date + timedelta(days=rng.randint(14, 150)), today)
            _take_on(session, actor, package, open_=agency.id != lead.id and index % UNACKNOWLEDGED == 3)
            shares = (
                (LEAD_ARRESTS, LEAD_CHARGES / LEAD_ARRESTS) if agency.id == lead.id else (ARRESTS, CHARGES)
            )
            # the lead's first prosecution to reach sentence is the chat room's host's
            host = [agency.id == lead.id]
            for subject, arrest in _subjects_outcomes(
                session, actor, operation, package, lead, (arrived, today), shares, host, rng
            ):
                if arrest is not None:
                    arrests[subject.id] = (agency.code, arrest)
        _victims(session, operation, writers, lead, arrests, today, rng)
        session.flush()
        return _summary(session, operation, created=True)
    return _summary(session, operation, created=False)


def _recorded(session: Session, operation: Operation) -> bool:
    found = session.scalar(select(OutcomeEvent.id).where(OutcomeEvent.operation_id == operation.id).limit(1))
    return found is not None or (
        session.scalar(select(Victim.id).where(Victim.operation_id == operation.id).limit(1)) is not None
    )


def _writers(session: Session) -> dict[str, Actor]:
    """The demo user who writes case data for each agency (investigators and analysts first)."""
    writing = {role.value for role in CASE_WRITERS} - {"coordinator"}
    chosen: dict[str, Actor] = {}
    for username, code, roles in DEMO_USERS:
        if code not in chosen and writing & set(roles):
            chosen[code] = Actor.for_user(user_by_name(session, username))
    return chosen


def _take_on(session: Session, actor: Actor, package: Package, *, open_: bool) -> None:
    """Received by all; acknowledged by most (an open one is only read, or not even that)."""
    if package.acknowledged_at is not None:
        return
    if open_:
        if package.id % 2 == 0:
            mark_received(session, actor, package.id)
        return
    mark_received(session, actor, package.id)
    acknowledge(session, actor, package.id, note="taken on; enquiries under way")


def _subjects_outcomes(
    session: Session,
    actor: Actor,
    operation: Operation,
    package: Package,
    lead: Agency,
    dates: tuple[date, date],  # the package arrived, today
    shares: tuple[float, float],
    host: list[bool],
    rng: random.Random,
) -> list[tuple[Subject, date | None]]:
    arrived, today = dates
    rows = list(
        session.execute(
            select(PackageSubject.public_id, Subject)
            .join(Subject, Subject.id == PackageSubject.subject_id)
            .where(PackageSubject.package_id == package.id)
            .order_by(PackageSubject.public_id)
        ).all()
    )
    rng.shuffle(rows)
    arrested = round(len(rows) * shares[0])
    charged = round(arrested * shares[1])
    release = () if package.agency_id == lead.id else (lead.code,)
    done: list[tuple[Subject, date | None]] = []
    for position, (public_id, subject) in enumerate(rows):
        if position >= arrested:
            if package.acknowledged_at is not None and rng.random() < 0.6:
                feedback = rng.choice(("investigating", "investigating", "no_trace", "no_action"))
                report_outcome(session, actor, package.id, public_id, feedback, note="demo feedback")
            done.append((subject, None))
            continue
        arrest = arrived + timedelta(days=rng.randint(0, 90))
        if arrest > today:
            done.append((subject, None))
            continue
        done.append((subject, arrest))
        _chain(
            session,
            actor,
            (operation, package, subject),
            arrest,
            position < charged,
            today,
            release,
            host,
            rng,
        )
    return done


def _chain(
    session: Session,
    actor: Actor,
    where: tuple[Operation, Package, Subject],
    arrest: date,
    prosecuted: bool,
    today: date,
    release: tuple[str, ...],
    host: list[bool],
    rng: random.Random,
) -> None:
    """One subject's road from arrest, as far as today allows."""
    operation, package, subject = where

    def record(kind: str, on: date, **facts: Any) -> bool:
        if on > today:
            return False
        data = OutcomeIn(subject=subject.public_id, kind=kind, occurred_on=on, released_to=release, **facts)
        add_outcome(
            session,
            actor,
            operation.id,
            data,
            source="package",
            source_ref=package.reference,
            duplicate="skip",
            known=subject,
        )
        return True

    record("arrested", arrest, note="arrested on the lead package")
    if not prosecuted:
        if rng.random() < 0.3:
            record("no_further_action", arrest + timedelta(days=rng.randint(30, 120)))
        return
    counts = rng.randint(2, 12)
    offence = rng.choice(OFFENCES)
    charge = arrest + timedelta(days=rng.randint(1, 45))
    if not record("charged", charge, counts=counts, offence=f"{NUMBERS[counts - 1]} counts of {offence}"):
        return
    guilty = rng.random() < 0.7
    plea = charge + timedelta(days=rng.randint(14, 60))
    if not record("plea", plea, plea="guilty" if guilty else "not_guilty"):
        return
    verdict = plea if guilty else plea + timedelta(days=rng.randint(60, 120))
    if not guilty and rng.random() < 0.3:
        record("acquitted", verdict, offence=offence)
        return
    if not record("convicted", verdict, offence=offence):
        return
    years, months = rng.randint(1, 9), rng.randint(1, 11)
    text = rng.choice(SENTENCES).format(y=years, m=months)
    sentenced = verdict + timedelta(days=rng.randint(14, 56))
    if host[0] and sentenced <= today:
        host[0] = False
        record(
            "sentenced", sentenced, sentence=HOST_SENTENCE, indeterminate=True, note="the chat room's host"
        )
    else:
        record("sentenced", sentenced, sentence=text)


def _victims(
    session: Session,
    operation: Operation,
    writers: dict[str, Actor],
    lead: Agency,
    arrests: dict[int, tuple[str, date]],
    today: date,
    rng: random.Random,
) -> None:
    """Children of the media series, each recorded by the agency that arrested a subject linked to them
    (and that may see the subject), labelled AMBER and released to the lead for its figures."""
    candidates: list[tuple[str, int, date]] = []
    for code, actor in sorted(writers.items()):
        ids = sorted(sid for sid, (agency, _) in arrests.items() if agency == code)
        if not ids:
            continue
        seen = session.scalars(
            select(Subject.id).where(Subject.id.in_(ids), subject_visible(actor)).order_by(Subject.id)
        ).all()
        candidates.extend((code, sid, arrests[sid][1]) for sid in seen)
    chosen = rng.sample(candidates, min(VICTIMS, len(candidates)))
    chosen.sort(key=lambda c: (c[2], c[1]))  # numbered in the order the children were found
    numbers: Counter[str] = Counter()
    for index, (code, subject_id, arrested) in enumerate(chosen):
        actor = writers[code]
        series = SERIES[index % len(SERIES)]
        letter = series.rsplit(" ", 1)[-1][0]
        numbers[letter] += 1
        victim = add_victim(
            session,
            actor,
            operation.id,
            pseudonym=f"Child {letter}-{numbers[letter]:02d}",
            description=f"a child seen in {series} (synthetic demo record)",
            country=code[:2],
            tlp=TLP.AMBER,
            released_to=() if code == lead.code else (lead.code,),
        )
        assert victim.public_id is not None
        link_victim(session, actor, victim.public_id, "series", series)
        subject = session.get_one(Subject, subject_id)
        link_victim(session, actor, victim.public_id, "subject", subject.public_id)
        # the first 31 found are safeguarded, the next 4 identified, the rest not yet identified
        if index >= SAFEGUARDED + IDENTIFIED:
            continue
        identified = min(arrested + timedelta(days=rng.randint(0, 30)), today)
        if index < SAFEGUARDED and index % 3 == 0:  # found and taken to safety the same day
            set_status(session, actor, victim.public_id, "safeguarded", on=identified, note="demo")
            continue
        set_status(session, actor, victim.public_id, "identified", on=identified, note="demo")
        if index < SAFEGUARDED:
            later = min(identified + timedelta(days=rng.randint(1, 28)), today)
            set_status(session, actor, victim.public_id, "safeguarded", on=later, note="demo")


def _summary(session: Session, operation: Operation, *, created: bool) -> DemoOutcomes:
    kinds = dict(
        session.execute(
            select(OutcomeEvent.kind, func.count())
            .where(OutcomeEvent.operation_id == operation.id)
            .group_by(OutcomeEvent.kind)
        ).all()
    )
    order = ("arrested", "charged", "plea", "convicted", "acquitted", "sentenced", "no_further_action")
    indeterminate = session.scalar(
        select(func.count())
        .select_from(OutcomeEvent)
        .where(OutcomeEvent.operation_id == operation.id, OutcomeEvent.indeterminate.is_(True))
    )
    victims = dict(
        session.execute(
            select(Victim.status, func.count())
            .where(Victim.operation_id == operation.id)
            .group_by(Victim.status)
        ).all()
    )
    current = (
        select(func.count())
        .select_from(Package)
        .where(Package.operation_id == operation.id, Package.superseded_at.is_(None))
    )
    acknowledged = session.scalar(current.where(Package.acknowledged_at.is_not(None))) or 0
    total = session.scalar(current) or 0
    return DemoOutcomes(
        created=created,
        packages_acknowledged=acknowledged,
        packages_open=total - acknowledged,
        outcomes={kind: kinds[kind] for kind in order if kind in kinds},
        indeterminate=indeterminate or 0,
        victims={s: victims[s] for s in ("safeguarded", "identified", "unidentified") if s in victims},
    )
