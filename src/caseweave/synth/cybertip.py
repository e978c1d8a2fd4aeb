"""CyberTipline-style hotline reports: the Canadian tip-off `tipoff_CA.xml` and `cybertip_<CC>_<n>.xml`.

Element names follow the NCMEC CyberTipline Reporting API (see /work/shared/testdata/formats/README.md).
The real API submits fileDetails separately; here they are children of the one <report> root so each
file is self-contained. Every file holds exactly this tree ("*" repeats, "?" optional)::

    <?xml version='1.0' encoding='utf-8'?>
    <report>
      <incidentSummary>
        <incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>
        <escalateToHighPriority>…</escalateToHighPriority>?
        <incidentDateTime>ISO8601Z</incidentDateTime>
        <incidentDateTimeDescription>…</incidentDateTimeDescription>
      </incidentSummary>
      <internetDetails>
        <chatImIncident><chatClient/><chatRoomName/></chatImIncident>
      </internetDetails>
      <reporter>
        <reportingPerson><firstName/><lastName/><email/></reportingPerson>   (hotline analyst, invented)
      </reporter>
      <personOrUserReported>*                                path /report/personOrUserReported[k]
        <personOrUserReportedPerson>?                        (absent when the name is unknown)
          <firstName/>? <lastName/>?
          <phone type="Mobile">+44…</phone>?                  (national format only with an address)
          <email verified="true|false">…</email>*
          <address type="Home"><address/><city/><country>GB</country></address>?
          <dateOfBirth>YYYY-MM-DD</dateOfBirth>?
        </personOrUserReportedPerson>
        <espIdentifier>account id</espIdentifier>           (truth accounts[platform]; on nightrelay the
                                                              chat account name)
        <espService>platform name</espService>               (the same for every person in one report)
        <screenName>handle</screenName>
        <ipCaptureEvent>*
          <ipAddress/><eventName>Login|Registration|Upload</eventName><dateTime>ISO8601Z</dateTime>
          <possibleProxy>true|false</possibleProxy><port/>
        </ipCaptureEvent>
        <deviceId>*<idType>IMEI</idType><idValue/><eventName>Login</eventName><dateTime/></deviceId>
      </personOrUserReported>
      <victim>*                                               path /report/victim[k]
        <victimPerson><age>n</age></victimPerson>
        <espIdentifier>account id</espIdentifier>           (the child's synthetic account on the
                                                              report's ESP: truth victims[].accounts)
        <espService>platform name</espService>?              (often absent: the reporting ESP's service)
      </victim>
      <additionalInfo>…</additionalInfo>
      <fileDetails>*                                          path /report/fileDetails[k]
        <reportId/><fileId/><fileName/>
        <originalFileHash hashType="MD5">hex</originalFileHash>
        <originalFileHash hashType="SHA1">hex</originalFileHash>
        <ipCaptureEvent><ipAddress/><eventName>Upload</eventName><dateTime/><possibleProxy/><port/></ipCaptureEvent>
      </fileDetails>
    </report>

Hashes are random hex: no file or media content exists anywhere in this generator.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from caseweave.synth import identifiers as ids
from caseweave.synth.context import Context
from caseweave.synth.people import CHAT_PLATFORM, PLATFORMS, Subject, stated_dob, stated_email, stated_names
from caseweave.synth.truth import iso

INCIDENT_TYPE = "Child Pornography (possession, manufacture, and distribution)"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    node.text = text
    return node


def _ip_event(ctx: Context, parent: ET.Element, subject: Subject, event: str, before: datetime) -> None:
    window = ctx.population.window
    when = (window.begin + (before - window.begin) * ctx.rng.random()).replace(microsecond=0)
    ip = subject.ip_at(ctx.rng, when)
    node = ET.SubElement(parent, "ipCaptureEvent")
    _text(node, "ipAddress", ip)
    _text(node, "eventName", event)
    _text(node, "dateTime", iso(when))
    _text(node, "possibleProxy", "true" if ids.ip_kind(ip) in {"vpn", "tor"} else "false")
    _text(node, "port", str(ctx.rng.randint(1025, 65535)))


def _person(ctx: Context, report: ET.Element, subject: Subject, platform: str, reported: datetime) -> None:
    rng = ctx.rng
    node = ET.SubElement(report, "personOrUserReported")
    given, family = stated_names(rng, subject, missing=0.25)
    if given or rng.random() < 0.5:
        person = ET.SubElement(node, "personOrUserReportedPerson")
        if given and family:
            _text(person, "firstName", given)
            _text(person, "lastName", family)
        # Drawn first: a national phone number is written only where the address states the country.
        with_address = bool(given) and rng.random() < 0.4
        if rng.random() < 0.5:
            phone = ids.phone_as_written(rng, subject.phones[0], national=with_address and subject.home_phone)
            _text(person, "phone", phone, type="Mobile")
        for _ in range(rng.choice((1, 1, 2))):
            _text(person, "email", stated_email(rng, subject), verified=rng.choice(("true", "false")))
        if with_address:
            address = ET.SubElement(person, "address", {"type": "Home"})
            _text(address, "address", subject.address)
            _text(address, "city", subject.town)
            _text(address, "country", subject.country)
        if given and rng.random() < 0.6:
            _text(person, "dateOfBirth", stated_dob(rng, subject)[0].isoformat())
    # The ESP's own id for the account: the chat server's account name, else the service's number.
    account = subject.chat_accounts[0] if platform == CHAT_PLATFORM else subject.accounts[platform]
    _text(node, "espIdentifier", account)
    _text(node, "espService", platform)
    _text(node, "screenName", subject.handles[platform])
    for _ in range(rng.randint(1, 4)):
        _ip_event(ctx, node, subject, rng.choice(("Login", "Login", "Registration", "Upload")), reported)
    for device in subject.devices[: rng.randint(0, 2)]:
        dev = ET.SubElement(node, "deviceId")
        _text(dev, "idType", "IMEI")
        _text(dev, "idValue", device)
        _text(dev, "eventName", "Login")
        _text(dev, "dateTime", iso(reported))


def write_report(ctx: Context, name: str, subjects: list[Subject], *, tipoff: bool) -> None:
    rng, window, truth = ctx.rng, ctx.population.window, ctx.truth
    report = ET.Element("report")
    summary = ET.SubElement(report, "incidentSummary")
    _text(summary, "incidentType", INCIDENT_TYPE)
    if tipoff:
        _text(summary, "escalateToHighPriority", "Ongoing contact with children reported in a chat room")
    reported = window.at(0.25 if tipoff else 0.15 + rng.random() * 0.84).replace(microsecond=0)
    _text(summary, "incidentDateTime", iso(reported))
    _text(summary, "incidentDateTimeDescription", "Time the reporter reviewed the account")
    details = ET.SubElement(report, "internetDetails")
    chat = ET.SubElement(details, "chatImIncident")
    _text(chat, "chatClient", "NightRelay")
    _text(chat, "chatRoomName", "#lobby")
    reporting = ET.SubElement(ET.SubElement(report, "reporter"), "reportingPerson")
    _text(reporting, "firstName", "Analyst")
    _text(reporting, "lastName", f"Desk{rng.randint(1, 40)}")
    _text(reporting, "email", f"hotline{rng.randint(1, 9)}@reports.example")
    # One report comes from one ESP: every account in it is on that service.
    platform = CHAT_PLATFORM if tipoff else rng.choice(PLATFORMS)
    for k, subject in enumerate(subjects, start=1):
        _person(ctx, report, subject, platform, reported)
        truth.record(name, f"/report/personOrUserReported[{k}]", "person", subject.sid)
    victims = {v.vid: v for v in ctx.population.victims}
    for k, vid in enumerate(dict.fromkeys(v for s in subjects for v in s.victims), start=1):
        victim = ET.SubElement(report, "victim")
        _text(ET.SubElement(victim, "victimPerson"), "age", str(rng.randint(9, 15)))
        _text(victim, "espIdentifier", victims[vid].accounts[platform])
        if rng.random() < 0.5:  # often left out: the reporting ESP's own service is meant
            _text(victim, "espService", platform)
        truth.victim(name, f"/report/victim[{k}]", vid)
    _text(report, "additionalInfo", "Synthetic test report generated by caseweave.synth; no real data.")
    report_id = str(rng.randrange(10**7, 10**8))
    k = 0
    for subject in subjects:
        for _ in range(rng.randint(1 if subject is subjects[0] else 0, 3)):
            k += 1
            files = ET.SubElement(report, "fileDetails")
            _text(files, "reportId", report_id)
            _text(files, "fileId", f"{rng.getrandbits(64):016x}")
            _text(files, "fileName", f"upload_{k:04d}.dat")
            _text(files, "originalFileHash", f"{rng.getrandbits(128):032x}", hashType="MD5")
            _text(files, "originalFileHash", f"{rng.getrandbits(160):040x}", hashType="SHA1")
            _ip_event(ctx, files, subject, "Upload", reported)
            truth.record(name, f"/report/fileDetails[{k}]", "upload", subject.sid)
    ET.indent(report)
    ET.ElementTree(report).write(ctx.path(name), encoding="utf-8", xml_declaration=True)
