"""Partner-agency referrals as MISP core JSON events, `misp_<CC>_<n>.json`::

    {"Event": {"uuid", "info", "date": "YYYY-MM-DD", "timestamp": "<unix seconds>", "threat_level_id": "2",
               "analysis": "2", "distribution": "0", "Orgc": {"name"},
               "Tag": [{"name": "tlp:amber"}],
               "Attribute": [{"uuid", "type": "email-src"|"ip-src"|"phone-number"|"btc", "category",
                              "value", "to_ids", "first_seen"?, "last_seen"?, "comment"}],
               "Object": [{"uuid", "name": "person"|"user-account"|"coin-address", "meta-category",
                           "template_uuid", "template_version",
                           "Attribute": [{"uuid", "object_relation", "type", "category", "value"}],
                           "ObjectReference": [{"uuid", "referenced_uuid", "relationship_type"}]}]}}

A subject is a `person` object (first-name, last-name, date-of-birth, nationality) when the agency knows
the name, plus `user-account` objects (username, account-type = the platform, email, link →
https://<platform>.example/u/<name>), Bitcoin wallets as loose `btc` attributes and Ethereum wallets as
`coin-address` objects (address-crypto in EIP-55 spelling, symbol ETH; MISP has no `eth` type).
The person object (or, without one, the first user-account object) refers to the subject's other
objects and event-level attributes through ObjectReference ("uses"). A phone number is written in
national format only when the person object states the nationality.

A hotline's tip-off, `misp_tip_<CC>_<n>.json`, is what hotlines mostly send: one event about one
account (a NightRelay chat account or a platform account), its `user-account` object (username,
account-type, sometimes a display-name: the first name or the full name) and loose `email-src` /
`ip-src` / `phone-number` attributes, with no person object and no ObjectReference at all.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from caseweave.synth import identifiers as ids
from caseweave.synth.context import Context
from caseweave.synth.people import PLATFORMS, Subject, stated_dob, stated_email, stated_names
from caseweave.synth.truth import iso

PERSON_TEMPLATE = ("a15b0477-e9d1-4b9c-9546-abe78a4f4248", "21")
ACCOUNT_TEMPLATE = ("49606b06-22f0-4ac8-8eee-2f12ad46f3d3", "6")
COIN_TEMPLATE = ("d0e6997e-78da-4815-a6a1-cfc1c1cb8a46", "7")
TEMPLATES = {"person": PERSON_TEMPLATE, "user-account": ACCOUNT_TEMPLATE, "coin-address": COIN_TEMPLATE}
TLP_TAGS = ("tlp:amber", "tlp:amber", "tlp:amber+strict", "tlp:green", "tlp:clear")
CATEGORY = {
    "first-name": "Person", "last-name": "Person", "date-of-birth": "Person", "nationality": "Person",
    "text": "Other", "email": "Social network", "link": "External analysis", "email-src": "Payload delivery",
    "ip-src": "Network activity", "phone-number": "Person", "btc": "Financial fraud",
    "display-name": "Social network",
}  # fmt: skip


def _attribute(ctx: Context, kind: str, value: str, relation: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"uuid": ctx.uuid4(), "type": kind, "category": CATEGORY[kind], "value": value}
    if relation:
        out["object_relation"] = relation
    else:
        out["to_ids"] = kind in {"ip-src", "email-src", "btc"}
    return out


def _object(ctx: Context, name: str, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    template = TEMPLATES[name]
    return {
        "uuid": ctx.uuid4(),
        "name": name,
        "meta-category": "financial" if name == "coin-address" else "misc",
        "template_uuid": template[0],
        "template_version": template[1],
        "Attribute": attributes,
        "ObjectReference": [],
    }


def _logins(ctx: Context, subject: Subject) -> list[dict[str, Any]]:
    """1 to 3 `ip-src` attributes with the time the service saw each (a home lease or a shared exit)."""
    rng, window = ctx.rng, ctx.population.window
    out = []
    for _ in range(rng.randint(1, 3)):
        seen = window.random(rng)
        ip = subject.ip_at(rng, seen)
        attribute = _attribute(ctx, "ip-src", ip)
        last = min(seen + timedelta(hours=rng.randint(1, 240)), window.end - timedelta(seconds=1))
        last = subject.seen_until(ip, seen, last)
        attribute.update(first_seen=iso(seen), last_seen=iso(last))
        out.append(attribute)
    return out


def _subject(ctx: Context, event: dict[str, Any], subject: Subject, name: str) -> None:
    rng, truth = ctx.rng, ctx.truth
    objects: list[dict[str, Any]] = []
    given, family = stated_names(rng, subject, missing=0.15)
    if given and family:
        fields = [
            _attribute(ctx, "first-name", given, "first-name"),
            _attribute(ctx, "last-name", family, "last-name"),
        ]
        if rng.random() < 0.75:
            fields.append(
                _attribute(ctx, "date-of-birth", stated_dob(rng, subject)[0].isoformat(), "date-of-birth")
            )
        fields.append(_attribute(ctx, "nationality", subject.country, "nationality"))
        objects.append(_object(ctx, "person", fields))
        truth.record(name, objects[-1]["uuid"], "person", subject.sid)
    for platform in rng.sample(PLATFORMS, rng.randint(1, 2)):
        handle = subject.handles[platform]
        fields = [
            _attribute(ctx, "text", handle, "username"),
            _attribute(ctx, "text", platform, "account-type"),
        ]
        if rng.random() < 0.5:
            fields.append(_attribute(ctx, "email", stated_email(rng, subject), "email"))
        fields.append(_attribute(ctx, "link", f"https://{platform}.example/u/{handle}", "link"))
        objects.append(_object(ctx, "user-account", fields))
        truth.record(name, objects[-1]["uuid"], "account", subject.sid)
    attributes = [_attribute(ctx, "email-src", stated_email(rng, subject)), *_logins(ctx, subject)]
    if rng.random() < 0.6:
        # National format only beside the person object's nationality.
        phone = ids.phone_as_written(
            rng, subject.phones[0], national=bool(given and family) and subject.home_phone
        )
        attributes.append(_attribute(ctx, "phone-number", phone))
    attributes.extend(_attribute(ctx, "btc", w) for w in subject.wallets if not w.startswith("0x"))
    for attribute in attributes:
        truth.record(name, attribute["uuid"], "selector", subject.sid)
    for wallet in (w for w in subject.wallets if w.startswith("0x")):
        address = _attribute(ctx, "text", wallet, "address-crypto")
        objects.append(_object(ctx, "coin-address", [address, _attribute(ctx, "text", "ETH", "symbol")]))
        truth.record(name, address["uuid"], "selector", subject.sid)
    anchor = objects[0]
    for target in objects[1:] + attributes:
        ref = {"uuid": ctx.uuid4(), "referenced_uuid": target["uuid"], "relationship_type": "uses"}
        anchor["ObjectReference"].append(ref)
    event["Object"].extend(objects)
    event["Attribute"].extend(attributes)


def _event(ctx: Context, info: str, sender: str, when: datetime) -> dict[str, Any]:
    return {
        "uuid": ctx.uuid4(),
        "info": info,
        "date": when.date().isoformat(),
        "timestamp": str(int(when.timestamp())),
        "threat_level_id": "2",
        "analysis": "2",
        "distribution": "0",
        "Orgc": {"name": sender},
        "Tag": [{"name": ctx.rng.choice(TLP_TAGS)}],
        "Attribute": [],
        "Object": [],
    }


def write_event(ctx: Context, name: str, country: str, subjects: list[Subject], when: datetime) -> None:
    info = f"Referral from {country} partner agency: {len(subjects)} subjects linked to NightRelay"
    event = _event(ctx, info, f"{country} national agency (synthetic)", when)
    for subject in subjects:
        _subject(ctx, event, subject, name)
    _write(ctx, name, event)


def write_tipoff(
    ctx: Context, name: str, country: str, subject: Subject, platform: str, handle: str, when: datetime
) -> None:
    """One account's tip-off: its user-account object and loose attributes, nothing tying them."""
    rng = ctx.rng
    info = f"Tip-off: {platform} account {handle} sharing abuse material"
    event = _event(ctx, info, f"{country} hotline (synthetic)", when)
    fields = [_attribute(ctx, "text", handle, "username"), _attribute(ctx, "text", platform, "account-type")]
    if rng.random() < 0.3:
        shown = subject.given if rng.random() < 0.5 else subject.name
        fields.append(_attribute(ctx, "text", shown, "display-name"))
    account = _object(ctx, "user-account", fields)
    ctx.truth.record(name, account["uuid"], "account", subject.sid)
    loose = _logins(ctx, subject)
    if rng.random() < 0.5:
        loose.append(_attribute(ctx, "email-src", stated_email(rng, subject)))
    if rng.random() < 0.3:
        phone = ids.phone_as_written(rng, subject.phones[0], national=False)
        loose.append(_attribute(ctx, "phone-number", phone))
    for attribute in loose:
        ctx.truth.record(name, attribute["uuid"], "selector", subject.sid)
    event["Object"].append(account)
    event["Attribute"].extend(loose)
    _write(ctx, name, event)


def _write(ctx: Context, name: str, event: dict[str, Any]) -> None:
    with ctx.path(name).open("w", encoding="utf-8", newline="\n") as handle:
        json.dump({"Event": event}, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
