"""Production-order returns from platforms.

CSV `platform_<name>.csv`, header exactly::

    platform,account_id,username,display_name,email,phone,registration_ip,registration_time,login_ip,login_port,login_time

one row per login (account columns repeated); an account with no logins has one row with empty login_*.
JSON Lines `platform_<name>.jsonl`, one account per line::

    {"platform","account_id","username","display_name","email","phone","registration_ip","registration_time",
     "logins": [{"ip","port","time"}]}

Empty values are "" in CSV and null in JSON. `account_id` is the subject's id on that service (the
`accounts` of truth.json; CyberTip reports name the same id). Phones are E.164, as services store them.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime

from caseweave.synth.context import Context
from caseweave.synth.people import Subject, stated_email, stated_names
from caseweave.synth.truth import iso

CSV_HEADER = [
    "platform",
    "account_id",
    "username",
    "display_name",
    "email",
    "phone",
    "registration_ip",
    "registration_time",
    "login_ip",
    "login_port",
    "login_time",
]
CSV_PLATFORMS = ("chirp", "pixelshare", "loopline")
JSONL_PLATFORMS = ("streamhub", "gamelobby")


def _account(ctx: Context, platform: str, subject: Subject) -> dict[str, object]:
    rng, window = ctx.rng, ctx.population.window
    given, family = stated_names(rng, subject, missing=0.4)
    display = rng.choice([x for x in (given, f"{given} {family}" if given else None) if x] or [""])
    registered = window.at(rng.random() * 0.6).replace(microsecond=0)
    logins: list[tuple[datetime, str, int]] = []
    for _ in range(rng.choice((0, 1, 2, 4, 6, 9, 14))):
        when = window.at((registered - window.begin) / (window.end - window.begin) + rng.random() * 0.39)
        when = when.replace(microsecond=0)
        logins.append((when, subject.ip_at(rng, when), rng.randint(1025, 65535)))
    logins.sort()
    return {
        "platform": platform,
        "account_id": subject.accounts[platform],
        "username": subject.handles[platform],
        "display_name": display or None,
        "email": stated_email(rng, subject) if rng.random() < 0.85 else None,
        # A return states no country for the holder: the number is stored as the service keeps it.
        "phone": subject.phones[0] if rng.random() < 0.4 else None,
        "registration_ip": subject.ip_at(rng, registered),
        "registration_time": iso(registered),
        "logins": [{"ip": ip, "port": port, "time": iso(when)} for when, ip, port in logins],
    }


def write_csv_platform(ctx: Context, platform: str, members: list[Subject]) -> int:
    name = f"platform_{platform}.csv"
    line = 1
    with ctx.path(name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for subject in members:
            account = _account(ctx, platform, subject)
            ctx.truth.record(name, f"{platform}:{account['account_id']}", "account", subject.sid)
            base = [account[k] or "" for k in CSV_HEADER[:8]]
            logins = account["logins"]
            assert isinstance(logins, list)
            for login in logins or [None]:
                tail = ["", "", ""] if login is None else [login["ip"], login["port"], login["time"]]
                writer.writerow(base + tail)
                line += 1
                ctx.truth.record(name, f"line:{line}", "row", subject.sid)
    return line - 1


def write_jsonl_platform(ctx: Context, platform: str, members: list[Subject]) -> int:
    name = f"platform_{platform}.jsonl"
    with ctx.path(name).open("w", encoding="utf-8", newline="\n") as handle:
        for line, subject in enumerate(members, start=1):
            account = _account(ctx, platform, subject)
            handle.write(json.dumps(account, ensure_ascii=False) + "\n")
            ctx.truth.record(name, f"{platform}:{account['account_id']}", "account", subject.sid)
            ctx.truth.record(name, f"line:{line}", "row", subject.sid)
    return len(members)
