"""The seized chat-room export, `chat_export.jsonl` (JSON Lines, one object per line)::

    line 1:  {"type": "server", "name", "network", "exported_at"}
    then:    {"type": "membership", "nick", "account", "room", "joined_at", "role": "op" | "member"}
             (sorted by joined_at)
    then:    {"type": "session", "nick", "account", "ip", "port", "connected_at", "disconnected_at", "room"}
             (sorted by connected_at)

Accounts are unique on the server; a subject may hold two (an alt). Nicks drift around the account name.
The CyberTip tip-off names the same accounts (its `espIdentifier` on nightrelay).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from caseweave.synth.context import Context
from caseweave.synth.people import CHAT_PLATFORM, Subject
from caseweave.synth.truth import iso

FILE = "chat_export.jsonl"
ROOMS = ("#lobby", "#backroom", "#archive", "#newcomers", "#staff")


def _nick(ctx: Context, account: str) -> str:
    roll = ctx.rng.random()
    if roll < 0.6:
        return account
    if roll < 0.75:
        return account + "_"
    if roll < 0.9:
        return account.capitalize() + "|away"
    return account.upper()


def write_chat(ctx: Context, members: list[Subject]) -> int:
    """Write the export for these members; returns the number of lines."""
    rng, window = ctx.rng, ctx.population.window
    taken: set[str] = set()
    accounts: list[tuple[str, Subject]] = []
    for subject in members:
        wanted = [subject.handles[CHAT_PLATFORM]]
        if rng.random() < 0.1:
            wanted.append(subject.handle + subject.digits[::-1] + "x")
        for name in wanted:
            account = name.lower()
            while account in taken:
                account += str(rng.randrange(10))
            taken.add(account)
            accounts.append((account, subject))
            subject.chat_accounts.append(account)  # the tip-off names the first one
    memberships: list[tuple[datetime, str, str, str, str, Subject]] = []
    sessions: list[tuple[datetime, datetime, str, str, str, int, str, Subject]] = []
    for account, subject in accounts:
        rooms = rng.sample(ROOMS[:4], rng.randint(1, 3))
        if rng.random() < 0.03:
            rooms.append("#staff")
        joined = window.at(rng.random() * 0.5).replace(microsecond=0)
        for room in rooms:
            role = "op" if room == "#staff" or rng.random() < 0.02 else "member"
            memberships.append((joined, _nick(ctx, account), account, room, role, subject))
        for _ in range(rng.randint(3, 22)):
            start = joined + (window.end - joined) * rng.random() * 0.98
            start = start.replace(microsecond=0)
            end = min(start + timedelta(minutes=rng.randint(2, 600)), window.end - timedelta(seconds=1))
            ip = subject.ip_at(rng, start)
            end = subject.seen_until(ip, start, end)
            sessions.append(
                (
                    start,
                    end,
                    _nick(ctx, account),
                    account,
                    ip,
                    rng.randint(1025, 65535),
                    rng.choice(rooms),
                    subject,
                )
            )
    memberships.sort(key=lambda m: (m[0], m[2], m[3]))
    sessions.sort(key=lambda s: (s[0], s[3]))
    truth = ctx.truth
    for account, subject in accounts:
        truth.record(FILE, f"account:{account}", "account", subject.sid)
    line = 1
    with ctx.path(FILE).open("w", encoding="utf-8", newline="\n") as out:
        server = {
            "type": "server",
            "name": "nightrelay-7",
            "network": "NightRelay",
            "exported_at": iso(window.end),
        }
        out.write(json.dumps(server) + "\n")
        for joined, nick, account, room, role, subject in memberships:
            line += 1
            row = {"type": "membership", "nick": nick, "account": account, "room": room}
            out.write(json.dumps({**row, "joined_at": iso(joined), "role": role}) + "\n")
            truth.record(FILE, f"line:{line}", "membership", subject.sid)
        for start, end, nick, account, ip, port, room, subject in sessions:
            line += 1
            row2: dict[str, object] = {
                "type": "session",
                "nick": nick,
                "account": account,
                "ip": ip,
                "port": port,
            }
            row2.update(connected_at=iso(start), disconnected_at=iso(end), room=room)
            out.write(json.dumps(row2) + "\n")
            truth.record(FILE, f"line:{line}", "session", subject.sid)
    return line
