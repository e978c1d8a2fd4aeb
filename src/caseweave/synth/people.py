"""The population: subjects, households, ISP leases, shared exits, devices, wallets and children at risk.

Everything is drawn from one `random.Random`; the writers then decide how each referral *states* a
subject (name variant, missing name, swapped date of birth, e-mail spelling, handle spelling).
Attribution's traps: a subject who kept the phone number of the country they came from, and one
who travelled and was seen from a hotel's address abroad for a week or two.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from caseweave.synth import identifiers as ids
from caseweave.synth import names

PLATFORMS: tuple[str, ...] = ("chirp", "pixelshare", "loopline", "streamhub", "gamelobby")
CHAT_PLATFORM = "nightrelay"


@dataclass(frozen=True)
class Window:
    begin: datetime
    end: datetime  # exclusive; the operation's fixed `start` date at 00:00Z

    @classmethod
    def before(cls, start: date, days: int = 300) -> Window:
        end = datetime(start.year, start.month, start.day, tzinfo=UTC)
        return cls(end - timedelta(days=days), end)

    def at(self, fraction: float) -> datetime:
        return self.begin + (self.end - self.begin) * min(max(fraction, 0.0), 0.999999)

    def random(self, rng: random.Random) -> datetime:
        return self.at(rng.random()).replace(microsecond=0)


@dataclass
class Lease:
    ip: str
    begin: datetime
    end: datetime


@dataclass(frozen=True)
class Trip:
    """A stay abroad: the address a service saw the subject use there, and when."""

    ip: str
    begin: datetime
    end: datetime
    country: str


@dataclass
class Subject:
    sid: str
    country: str
    given: str
    family: str
    dob: date
    household: str
    address: str
    town: str
    leases: list[Lease]
    phones: list[str]
    emails: list[str]
    handle: str
    digits: str
    handles: dict[str, str]
    devices: list[str]
    wallets: list[str]
    uses_vpn: bool
    uses_tor: bool
    uses_cgnat: bool
    proxies: list[str]
    accounts: dict[str, str] = field(default_factory=dict)  # platform → the service's own account id
    chat_accounts: list[str] = field(default_factory=list)  # account names on the chat server, if any
    victims: list[str] = field(default_factory=list)
    shares_device_with: list[str] = field(default_factory=list)
    shares_home_ip_with: list[str] = field(default_factory=list)
    handle_lookalike_of: str | None = None
    trips: list[Trip] = field(default_factory=list)
    phone_country: str | None = None  # the country of a phone number kept from elsewhere, if any

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def home_phone(self) -> bool:
        """The phone is of the country the subject lives in (a referral may write it nationally)."""
        return self.phone_country is None

    def dob_swappable(self) -> bool:
        return self.dob.day <= 12 and self.dob.day != self.dob.month

    def home_ip_at(self, when: datetime) -> str:
        for lease in self.leases:
            if lease.begin <= when < lease.end:
                return lease.ip
        return self.leases[-1].ip

    def seen_until(self, ip: str, when: datetime, until: datetime) -> datetime:
        """until, cut to the end of the lease (or trip) when ip is the address held at when."""
        addresses: list[Lease | Trip] = [*self.leases, *self.trips]
        for held in addresses:
            if held.ip == ip and held.begin <= when < held.end:
                return min(until, held.end - timedelta(seconds=1))
        return until

    def ip_at(self, rng: random.Random, when: datetime) -> str:
        """The address a service sees: home most of the time, otherwise one of the subject's shared exits;
        abroad, mostly the address there."""
        trip = next((t for t in self.trips if t.begin <= when < t.end), None)
        if trip is not None and rng.random() < 0.8:
            return trip.ip
        if self.proxies and rng.random() < 0.45:
            return rng.choice(self.proxies)
        return self.home_ip_at(when)


@dataclass(frozen=True)
class Victim:
    vid: str
    country: str
    subjects: tuple[str, ...]
    accounts: dict[str, str] = field(default_factory=dict)  # platform → the child's account id there


@dataclass
class Population:
    subjects: list[Subject]
    victims: list[Victim]
    window: Window
    countries: tuple[str, ...]


class _LeasePool:
    """Per-country ISP address pools: an address goes back to the pool and later to someone else."""

    def __init__(self) -> None:
        self.used: dict[str, list[str]] = {}
        self.busy: dict[str, list[tuple[datetime, datetime]]] = {}

    def lease(self, rng: random.Random, country: str, begin: datetime, end: datetime) -> str:
        pool = self.used.setdefault(country, [])
        if pool and rng.random() < 0.4:
            for _ in range(6):
                ip = rng.choice(pool)
                gap = timedelta(hours=6)
                if all(end + gap <= b or e + gap <= begin for b, e in self.busy[ip]):
                    self.busy[ip].append((begin, end))
                    return ip
        ip = ids.random_ip(rng, country)
        while ip in self.busy:
            ip = ids.random_ip(rng, country)
        pool.append(ip)
        self.busy[ip] = [(begin, end)]
        return ip


def _country_of(rng: random.Random, countries: tuple[str, ...]) -> str:
    weights = [8.0, 4.0, 4.0, 3.0, 2.0] + [1.0] * (len(countries) - 5)
    return rng.choices(countries, weights=weights[: len(countries)])[0]


def _leases(rng: random.Random, pool: _LeasePool, country: str, window: Window) -> list[Lease]:
    out: list[Lease] = []
    t = window.begin - timedelta(days=rng.randint(0, 40))
    static = rng.random() < 0.2
    while t < window.end:
        length = (
            timedelta(days=400) if static else timedelta(days=rng.randint(12, 90), hours=rng.randint(0, 23))
        )
        end = min(t + length, window.end)
        out.append(Lease(pool.lease(rng, country, t, end), t, end))
        t = end
    return out


class _AccountIds:
    """Each service numbers its accounts: one id per (service, holder), never given out twice."""

    def __init__(self) -> None:
        self.taken: set[tuple[str, str]] = set()

    def issue(self, rng: random.Random, platforms: tuple[str, ...]) -> dict[str, str]:
        out: dict[str, str] = {}
        for platform in platforms:
            account = str(rng.randrange(10**9, 10**10))
            while (platform, account) in self.taken:
                account = str(rng.randrange(10**9, 10**10))
            self.taken.add((platform, account))
            out[platform] = account
        return out


def _email(rng: random.Random, given: str, family: str, handle: str, digits: str) -> str:
    domain = rng.choice(ids.EMAIL_DOMAINS)
    style = rng.randrange(4)
    if style == 0:
        local = f"{given}.{family}".lower()
    elif style == 1:
        local = f"{given[0]}{family}{digits}".lower()
    elif style == 2:
        local = handle + digits
    else:
        local = f"{handle}.{rng.randint(1, 999)}"
    return f"{local}@{domain}"


def _one_account_per_handle(rng: random.Random, subjects: list[Subject]) -> None:
    """A platform gives a username to one account only (case and compatibility forms folded, as
    the username selector folds them): a later subject whose spelling is taken picks another,
    the way a user picks darkfox_88 when darkfox is gone."""
    taken: dict[str, set[str]] = {}
    for subject in subjects:
        for platform, handle in subject.handles.items():
            used = taken.setdefault(platform, set())
            spelling = handle
            while unicodedata.normalize("NFKC", spelling).casefold() in used:
                spelling = f"{names.handle_variant(rng, subject.handle, subject.digits)}{rng.randint(1, 999)}"
            used.add(unicodedata.normalize("NFKC", spelling).casefold())
            subject.handles[platform] = spelling


def build_population(rng: random.Random, count: int, n_countries: int, window: Window) -> Population:
    if not 1 <= n_countries <= len(ids.COUNTRIES):
        raise ValueError(f"countries must be between 1 and {len(ids.COUNTRIES)}")
    if count < n_countries:
        raise ValueError("need at least one subject per country")
    countries = ids.COUNTRIES[:n_countries]
    pool = _LeasePool()
    account_ids = _AccountIds()
    subjects: list[Subject] = []
    households = 0
    while len(subjects) < count:
        # The first subjects cover every country once; then weighted towards the lead and Five Eyes.
        country = countries[households] if households < n_countries else _country_of(rng, countries)
        flavour = names.COUNTRY_FLAVOUR[country]
        households += 1
        hid = f"H-{households:05d}"
        # Keep one subject for each country not yet used.
        room = count - len(subjects) - max(0, n_countries - households)
        size = max(1, min(rng.choices((1, 2, 3), weights=(85, 11, 4))[0], room))
        family = names.family_name(rng, flavour)
        address, town = names.street_address(rng), names.town(rng)
        leases = _leases(rng, pool, country, window)
        shared_device = ids.imei(rng) if size > 1 and rng.random() < 0.6 else None
        members: list[Subject] = []
        for _ in range(size):
            given = names.given_name(rng, flavour)
            handle, digits = names.base_handle(rng), str(rng.randint(1, 99))
            uses_vpn, uses_tor, uses_cgnat = rng.random() < 0.3, rng.random() < 0.12, rng.random() < 0.3
            proxies = (
                rng.sample(ids.VPN_EXITS, 2) * uses_vpn
                + [rng.choice(ids.TOR_EXITS)] * uses_tor
                + [rng.choice(ids.CGNAT_ADDRESSES)] * uses_cgnat
            )
            devices = [ids.imei(rng) for _ in range(rng.choice((0, 1, 1, 2)))]
            if shared_device:
                devices.append(shared_device)
            emails = [_email(rng, given, family, handle, digits) for _ in range(rng.choice((1, 1, 2)))]
            wallets = []
            if rng.random() < 0.25:
                wallets.append(ids.btc_address(rng))
            if rng.random() < 0.15:
                wallets.append(ids.eth_address(rng))
            sid = f"S-{len(subjects) + 1:04d}"
            dob = date(rng.randint(1958, 2006), rng.randint(1, 12), rng.randint(1, 28))
            subject = Subject(
                sid=sid, country=country, given=given, family=family, dob=dob, household=hid,
                address=address, town=town, leases=leases, phones=[ids.phone_number(rng, country)],
                emails=emails, handle=handle, digits=digits,
                handles={p: names.handle_variant(rng, handle, digits) for p in (*PLATFORMS, CHAT_PLATFORM)},
                devices=devices, wallets=wallets, uses_vpn=uses_vpn, uses_tor=uses_tor,
                uses_cgnat=uses_cgnat, proxies=proxies, accounts=account_ids.issue(rng, PLATFORMS),
            )  # fmt: skip
            members.append(subject)
            subjects.append(subject)
        for member in members:
            others = [m.sid for m in members if m is not member]
            member.shares_home_ip_with = others
            if shared_device:
                member.shares_device_with = others
    # Look-alike handles: a few unrelated subjects elsewhere picked the same base handle.
    for subject in rng.sample(subjects, max(1, count // 40)):
        other = rng.choice(subjects)
        if other.country != subject.country:
            subject.handle = other.handle
            subject.handles = {
                p: names.handle_variant(rng, other.handle, subject.digits) for p in subject.handles
            }
            subject.handle_lookalike_of = other.sid
    _one_account_per_handle(rng, subjects)
    victims: list[Victim] = []
    for subject in rng.sample(subjects, max(1, count // 8)):
        linked = [subject.sid]
        if subject.shares_home_ip_with and rng.random() < 0.5:
            linked.append(subject.shares_home_ip_with[0])
        elif rng.random() < 0.2:
            linked.append(rng.choice(subjects).sid)
        victim = Victim(
            f"V-{len(victims) + 1:04d}",
            subject.country,
            tuple(dict.fromkeys(linked)),
            account_ids.issue(rng, (*PLATFORMS, CHAT_PLATFORM)),
        )
        victims.append(victim)
    by_id = {s.sid: s for s in subjects}
    for victim in victims:
        for sid in victim.subjects:
            by_id[sid].victims.append(victim.vid)
    _attribution_traps(rng, subjects, pool, window)
    return Population(subjects, victims, window, countries)


def _attribution_traps(rng: random.Random, subjects: list[Subject], pool: _LeasePool, window: Window) -> None:
    """One in ten keeps a phone number of another country; one in seven travels once."""
    for subject in subjects:
        elsewhere = [c for c in ids.COUNTRIES if c != subject.country]
        if rng.random() < 0.1:
            subject.phone_country = rng.choice(elsewhere)
            subject.phones = [ids.phone_number(rng, subject.phone_country)]
        if rng.random() < 0.15:
            country = rng.choice(elsewhere)
            begin = window.at(rng.random() * 0.9).replace(microsecond=0)
            end = begin + timedelta(days=rng.randint(5, 16))
            subject.trips.append(Trip(pool.lease(rng, country, begin, end), begin, end, country))


# ---- how one referral states a subject ----------------------------------------------------------------


def stated_names(rng: random.Random, subject: Subject, missing: float = 0.1) -> tuple[str | None, str | None]:
    """(given, family) as a referral writes them: right, transliterated, mistyped or absent."""
    roll = rng.random()
    if roll < missing:
        return None, None
    given, family = subject.given, subject.family
    roll = rng.random()
    if roll < 0.18:
        given = names.transliterate(rng, given)
    elif roll < 0.28:
        family = names.transliterate(rng, family)
    elif roll < 0.36:
        given = names.typo(rng, given)
    elif roll < 0.42:
        family = names.typo(rng, family)
    if rng.random() < 0.05:
        given, family = family, given  # family name written first
    return given, family


def stated_dob(rng: random.Random, subject: Subject) -> tuple[date, bool]:
    """The date of birth as written, and whether day and month were swapped."""
    if subject.dob_swappable() and rng.random() < 0.15:
        return date(subject.dob.year, subject.dob.day, subject.dob.month), True
    return subject.dob, False


def stated_email(rng: random.Random, subject: Subject) -> str:
    """One of the subject's addresses, sometimes with case changes, or dots and a +tag where ignored."""
    email = rng.choice(subject.emails)
    local, domain = email.split("@")
    if domain in ids.DOTLESS_DOMAINS and rng.random() < 0.5:
        plain = local.replace(".", "")
        cut = rng.randrange(1, len(plain)) if len(plain) > 1 else 1
        local = plain[:cut] + "." + plain[cut:] + rng.choice(("", "+op", "+x1", "+shop"))
    elif rng.random() < 0.1:
        local = local.capitalize()
    return f"{local}@{domain}"
