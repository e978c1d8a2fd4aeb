"""`truth.json`, written while the referral files are written (records stream; nothing is held twice).

Schema (one JSON object; `records` is streamed, `summary` comes last)::

    {
      "schema": "caseweave.synth.truth/1",
      "seed": 1, "start": "2025-01-06",
      "window": {"from": ISO8601Z, "to": ISO8601Z},
      "shared_exits": {"vpn": [ip, ...], "tor": [ip, ...], "cgnat": [ip, ...]},
      "subjects": [{
          "id": "S-0001", "country": "GB", "given_name": str, "family_name": str,
          "date_of_birth": "YYYY-MM-DD", "household": "H-00001", "address": str, "town": str,
          "home_ips": [{"ip", "from", "to"}],            # ISP leases, shared by the household
          "exits": [ip, ...],                              # VPN / Tor / CGNAT addresses it also uses
          "trips": [{"ip", "from", "to", "country"}],      # an address abroad, while there
          "handles": {platform: handle}, "accounts": {platform: account id},  # the service's own id
          "emails": [...], "phones": [E.164], "devices": [IMEI],
          "wallets": [...], "victims": ["V-0001"],
          "flags": {"uses_vpn", "uses_tor", "uses_cgnat": bool, "shares_device_with": [S-…],
                    "shares_home_ip_with": [S-…], "handle_lookalike_of": S-… | null,
                    "phone_country": the country of a phone kept from elsewhere | null}
      }],
      "victims": [{"id": "V-0001", "country": "GB", "subjects": ["S-0001"],
                   "accounts": {platform: account id}}],  # the child's accounts, named by CyberTip reports
      "records": [{"file": "misp_GB_1.json", "ref": str, "kind": str, "subject": "S-0001"}
                  | {"file": ..., "ref": ..., "kind": "victim", "victim": "V-0001"}],
      "summary": {"subjects", "countries", "victims", "records": int,
                  "files": {file: records}, "formats": {format: files}}
    }

`kind` is one of: account, membership, session (chat); person, upload, victim (CyberTip); row, account
(platforms); person, account, selector (MISP); person, account, selector, observation (STIX).
`accounts` are the numeric ids of the five platforms (platform returns' account_id, CyberTip
espIdentifier); a subject's chat accounts are the chat file's "account:<account>" records (the tip-off's
espIdentifier on nightrelay names the first).
`ref` is the record's id inside its file:
- chat_export.jsonl: "account:<account>" (kind account) and "line:<n>" (kind session / membership);
- tipoff_CA.xml, cybertip_*.xml: "/report/personOrUserReported[k]" (person), "/report/fileDetails[k]"
  (upload), "/report/victim[k]" (victim);
- platform_*.csv: "line:<n>" (row; the header is line 1) and "<platform>:<account_id>" (account);
- platform_*.jsonl: "line:<n>" (account line) and "<platform>:<account_id>" (account);
- misp_*.json: object uuid (kind person / account) and attribute uuid (kind selector; for an Ethereum
  wallet the coin-address object's address-crypto attribute);
- stix_*.json: identity id (person), SCO id (selector), observed-data id (observation).
A ref may be listed for several subjects where the file shares one record between them (a VPN
address in one STIX bundle, say).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from caseweave.synth import identifiers as ids
from caseweave.synth.people import Population, Subject


def iso(value: Any) -> str:
    text: str = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text


def _subject(subject: Subject) -> dict[str, Any]:
    return {
        "id": subject.sid,
        "country": subject.country,
        "given_name": subject.given,
        "family_name": subject.family,
        "date_of_birth": subject.dob.isoformat(),
        "household": subject.household,
        "address": subject.address,
        "town": subject.town,
        "home_ips": [{"ip": x.ip, "from": iso(x.begin), "to": iso(x.end)} for x in subject.leases],
        "exits": subject.proxies,
        "trips": [
            {"ip": t.ip, "from": iso(t.begin), "to": iso(t.end), "country": t.country} for t in subject.trips
        ],
        "handles": subject.handles,
        "accounts": subject.accounts,
        "emails": subject.emails,
        "phones": subject.phones,
        "devices": subject.devices,
        "wallets": subject.wallets,
        "victims": subject.victims,
        "flags": {
            "uses_vpn": subject.uses_vpn,
            "uses_tor": subject.uses_tor,
            "uses_cgnat": subject.uses_cgnat,
            "shares_device_with": subject.shares_device_with,
            "shares_home_ip_with": subject.shares_home_ip_with,
            "handle_lookalike_of": subject.handle_lookalike_of,
            "phone_country": subject.phone_country,
        },
    }


class TruthWriter:
    def __init__(self, path: Path, population: Population, *, seed: int, start: str) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self.files: Counter[str] = Counter()
        self.total = 0
        self._population = population
        head = {
            "schema": "caseweave.synth.truth/1",
            "seed": seed,
            "start": start,
            "window": {"from": iso(population.window.begin), "to": iso(population.window.end)},
            "shared_exits": {
                "vpn": list(ids.VPN_EXITS),
                "tor": list(ids.TOR_EXITS),
                "cgnat": list(ids.CGNAT_ADDRESSES),
            },
        }
        out = self._file
        out.write(json.dumps(head, ensure_ascii=False)[:-1])
        out.write(',\n"subjects": [\n')
        out.write(",\n".join(json.dumps(_subject(s), ensure_ascii=False) for s in population.subjects))
        out.write('\n],\n"victims": [\n')
        victims = [
            {"id": v.vid, "country": v.country, "subjects": list(v.subjects), "accounts": v.accounts}
            for v in population.victims
        ]
        out.write(",\n".join(json.dumps(v) for v in victims))
        out.write('\n],\n"records": [\n')

    def record(self, file: str, ref: str, kind: str, subject: str) -> None:
        self._write({"file": file, "ref": ref, "kind": kind, "subject": subject}, file)

    def victim(self, file: str, ref: str, victim: str) -> None:
        self._write({"file": file, "ref": ref, "kind": "victim", "victim": victim}, file)

    def _write(self, entry: dict[str, str], file: str) -> None:
        if self.total:
            self._file.write(",\n")
        self._file.write(json.dumps(entry, ensure_ascii=False))
        self.files[file] += 1
        self.total += 1

    def close(self, formats: dict[str, int]) -> None:
        summary = {
            "subjects": len(self._population.subjects),
            "countries": len({s.country for s in self._population.subjects}),
            "victims": len(self._population.victims),
            "records": self.total,
            "files": dict(sorted(self.files.items())),
            "formats": formats,
        }
        self._file.write('\n],\n"summary": ' + json.dumps(summary) + "\n}\n")
        self._file.close()

    def __enter__(self) -> TruthWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._file.closed:
            self._file.close()
