"""Partner-agency referrals as STIX 2.1 bundles, `stix_<CC>_<n>.json`, built with the stix2 library.

Each bundle holds: the TLP 2.0 `marking-definition` (ids from the OASIS TLP 2.0 extension
extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d), the sending agency's `identity`
(identity_class "organization"), one `report` (the referral; object_marking_refs = the TLP marking;
object_refs = everything else), and per subject: an `identity` with identity_class "individual"
(name, custom x_date_of_birth "YYYY-MM-DD" and x_country ISO alpha-2) when the name is known,
`email-addr`, `user-account` (account_login, account_type = platform), `ipv4-addr` SCOs,
`observed-data` (first_observed / last_observed, object_refs = [ipv4-addr, user-account]) and
`relationship`s identity → SCO ("related-to" for e-mail and IP, "uses" for accounts). An unnamed
subject (no identity) is its accounts, as a platform's return states them: the e-mail `belongs_to_ref`
the first account, and each address is observed beside one account.
SCO ids are the library's deterministic UUIDv5 ids, so one address in two bundles has one id.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import stix2

from caseweave.synth.context import Context
from caseweave.synth.people import PLATFORMS, Subject, stated_dob, stated_email, stated_names

TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_MARKINGS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_CHOICES = ("amber", "amber", "amber+strict", "green", "clear")


def tlp_marking(level: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKINGS[level],
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{level.upper()}",
        "extensions": {TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
    }


class _Bundle:
    def __init__(self, ctx: Context, name: str, when: datetime) -> None:
        self.ctx, self.name, self.when = ctx, name, when
        self.objects: dict[str, Any] = {}

    def add(self, obj: Any) -> str:
        ident: str = obj["id"]
        self.objects.setdefault(ident, obj)
        return ident

    def sdo_id(self, kind: str) -> str:
        return f"{kind}--{self.ctx.uuid4()}"

    def relate(self, source: str, target: str, kind: str) -> None:
        rel = stix2.v21.Relationship(
            id=self.sdo_id("relationship"), relationship_type=kind, source_ref=source, target_ref=target,
            created=self.when, modified=self.when,
        )  # fmt: skip
        self.add(rel)


def _subject(bundle: _Bundle, subject: Subject) -> None:
    ctx, when = bundle.ctx, bundle.when
    rng, window, truth, name = ctx.rng, ctx.population.window, ctx.truth, bundle.name
    person: str | None = None
    given, family = stated_names(rng, subject, missing=0.15)
    if given and family:
        extra: dict[str, str] = {"x_country": subject.country}
        if rng.random() < 0.8:
            extra["x_date_of_birth"] = stated_dob(rng, subject)[0].isoformat()
        identity = stix2.v21.Identity(
            id=bundle.sdo_id("identity"), name=f"{given} {family}", identity_class="individual",
            created=when, modified=when, allow_custom=True, **extra,
        )  # fmt: skip
        person = bundle.add(identity)
        truth.record(name, person, "person", subject.sid)
    selectors: list[tuple[str, str]] = []
    accounts = []
    for platform in rng.sample(PLATFORMS, rng.randint(1, 2)):
        account = stix2.v21.UserAccount(account_login=subject.handles[platform], account_type=platform)
        accounts.append(bundle.add(account))
        truth.record(name, accounts[-1], "account", subject.sid)
        if person:
            bundle.relate(person, accounts[-1], "uses")
    # Without a named identity, a platform's return ties the e-mail to the account it registered.
    owner = {} if person else {"belongs_to_ref": accounts[0]}
    email = bundle.add(stix2.v21.EmailAddress(value=stated_email(rng, subject), **owner))
    selectors.append((email, "related-to"))
    for _ in range(rng.randint(1, 3)):
        first = window.random(rng)
        address = subject.ip_at(rng, first)
        ip = bundle.add(stix2.v21.IPv4Address(value=address))
        selectors.append((ip, "related-to"))
        last = min(first + timedelta(hours=rng.randint(1, 300)), window.end - timedelta(seconds=1))
        last = subject.seen_until(address, first, last)
        observed = stix2.v21.ObservedData(
            id=bundle.sdo_id("observed-data"), first_observed=first, last_observed=last,
            number_observed=rng.randint(1, 40), object_refs=[ip, rng.choice(accounts)],
            created=when, modified=when,
        )  # fmt: skip
        truth.record(name, bundle.add(observed), "observation", subject.sid)
    for target, kind in selectors:
        truth.record(name, target, "selector", subject.sid)
        if person:
            bundle.relate(person, target, kind)


def write_bundle(ctx: Context, name: str, country: str, subjects: list[Subject], when: datetime) -> None:
    bundle = _Bundle(ctx, name, when)
    level = ctx.rng.choice(TLP_CHOICES)
    agency = stix2.v21.Identity(
        id=bundle.sdo_id("identity"), name=f"{country} national agency (synthetic)",
        identity_class="organization", created=when, modified=when,
    )  # fmt: skip
    for subject in subjects:
        _subject(bundle, subject)
    report = stix2.v21.Report(
        id=bundle.sdo_id("report"),
        name=f"Referral from {country}: {len(subjects)} subjects linked to NightRelay",
        published=when, created=when, modified=when, created_by_ref=agency.id,
        report_types=["threat-actor"], object_refs=[agency.id, *bundle.objects],
        object_marking_refs=[TLP_MARKINGS[level]],
    )  # fmt: skip
    # The library's pretty printer is quadratic in the bundle size; each object is serialised on its own.
    built = (agency, report, *bundle.objects.values())
    objects = [tlp_marking(level)] + [json.loads(obj.serialize()) for obj in built]
    out = {"type": "bundle", "id": f"bundle--{ctx.uuid4()}", "objects": objects}
    with ctx.path(name).open("w", encoding="utf-8", newline="\n") as handle:
        json.dump(out, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
