"""Small synthetic CyberTipline-style reports (invented people, example domains, documentation IP
ranges) and the examples the contract test runs against them."""

from __future__ import annotations

from caseweave.intake.base import Example


def _report(body: str, when: str = "2026-02-14T09:30:00Z", report_id: str = "CT-2026-000123") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<report id="{report_id}">\n'
        f"  <incidentSummary><incidentType>Child Pornography (possession, manufacture, and distribution)"
        f"</incidentType><incidentDateTime>{when}</incidentDateTime></incidentSummary>\n{body}</report>\n"
    ).encode()


_SUSPECT = """  <personOrUserReported>
    <personOrUserReportedPerson>
      <firstName>Jordan</firstName><lastName>Example</lastName>
      <phone countryCallingCode="44">7400123457</phone>
      <email>jordan.example@example.com</email>
      <email>j.e.backup@example.net</email>
      <address><address>1 Sample Street</address><city>Testville</city><zipCode>ZZ1 1ZZ</zipCode>
        <country>GB</country></address>
      <dateOfBirth>1988-04-02</dateOfBirth>
    </personOrUserReportedPerson>
    <espIdentifier>884422</espIdentifier>
    <espService>PhotoShareExample</espService>
    <screenName>shadow_example</screenName>
    <ipCaptureEvent><ipAddress>198.51.100.23</ipAddress><eventName>Login</eventName>
      <dateTime>2026-02-10T21:04:00Z</dateTime><port>50432</port></ipCaptureEvent>
    <ipCaptureEvent><ipAddress>203.0.113.250</ipAddress><eventName>Upload</eventName>
      <dateTime>2026-02-11T07:15:00Z</dateTime><possibleProxy>true</possibleProxy></ipCaptureEvent>
    <deviceId><idType>IMEI</idType><idValue>490154203237518</idValue></deviceId>
  </personOrUserReported>
"""
_NO_SUMMARY = b'<report id="X-9"><victim><screenName>a</screenName></victim></report>'
_FILE_ONLY = """  <fileDetails><fileName>a1.jpg</fileName>
    <originalFileHash hashType="SHA256">9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    </originalFileHash>
  </fileDetails>
"""
_VICTIMS = (
    """  <intendedRecipient><screenName>recipient_example</screenName></intendedRecipient>
  <victim><victimPerson><dateOfBirth>2012-06-01</dateOfBirth></victimPerson>
    <espService>PhotoShareExample</espService><screenName>small_star_example</screenName>
    <ipCaptureEvent><ipAddress>192.0.2.61</ipAddress></ipCaptureEvent>
  </victim>
  <fileDetails><originalFileHash hashType="PDQ">"""
    + "f" * 64
    + """</originalFileHash></fileDetails>
"""
)
_VICTIM_ID_ONLY = """  <victim><victimPerson><dateOfBirth>2012-09-01</dateOfBirth></victimPerson>
    <espIdentifier>770031</espIdentifier></victim>
"""
_TWO_SERVICES = """  <personOrUserReported><espService>PhotoShareExample</espService>
    <screenName>a_example</screenName></personOrUserReported>
  <personOrUserReported><espService>ClipShareExample</espService>
    <screenName>b_example</screenName></personOrUserReported>
  <victim><espIdentifier>770032</espIdentifier></victim>
"""
_BAD = """  <personOrUserReported>
    <personOrUserReportedPerson><dateOfBirth>31/02/2001</dateOfBirth></personOrUserReportedPerson>
    <espService>PhotoShareExample</espService><screenName>bad_example</screenName>
    <ipCaptureEvent><eventName>Login</eventName></ipCaptureEvent>
    <ipCaptureEvent><ipAddress>192.0.2.1</ipAddress><dateTime>1970-01-01T00:00:00Z</dateTime></ipCaptureEvent>
    <ipCaptureEvent><ipAddress>192.0.2.2</ipAddress><port>99999</port></ipCaptureEvent>
  </personOrUserReported>
  <fileDetails>
    <originalFileHash hashType="CRC32">cbf43926</originalFileHash>
    <originalFileHash hashType="MD5">abc</originalFileHash>
  </fileDetails>
"""
FULL_REPORT = _report(
    """  <internetDetails><webPageIncident><url>https://files.example.org/share/abc123</url></webPageIncident>
  </internetDetails>
  <reporter><reportingPerson><firstName>Casey</firstName><lastName>Reviewer</lastName>
    <email>trust-safety@example.com</email></reportingPerson></reporter>
"""
    + _SUSPECT
    + """  <victim><espService>PhotoShareExample</espService><screenName>little_example</screenName></victim>
  <fileDetails><fileName>upload_0001.jpg</fileName><originalFileName>IMG_0001.jpg</originalFileName>
    <originalFileHash hashType="MD5">d41d8cd98f00b204e9800998ecf8427e</originalFileHash>
    <originalFileHash hashType="SHA1">da39a3ee5e6b4b0d3255bfef95601890afd80709</originalFileHash>
    <ipCaptureEvent><ipAddress>2001:db8::17</ipAddress><dateTime>2026-02-11T07:15:00Z</dateTime></ipCaptureEvent>
  </fileDetails>
"""
)
ENTITY_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE report [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>\n<report id="&c;"><incidentSummary/></report>\n'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<report id="x"><incidentSummary><incidentType>&x;</incidentType></incidentSummary></report>\n'
)


def examples() -> list[Example]:
    return [
        Example(
            "full-report",
            FULL_REPORT,
            persons=3,
            sightings=11,
            media_hashes=2,
            selector_types=("device", "email", "ip", "phone", "url", "username"),
        ),
        Example("file-only", _report(_FILE_ONLY), media_hashes=1),
        # The recipient names no espService: its account is on the service the victim's names.
        Example("victim-and-recipient", _report(_VICTIMS), persons=2, sightings=3, media_hashes=1),
        # The victim names no espService: its account id is on the reporting ESP's one service.
        Example(
            "victim-on-the-reporting-service",
            _report(_SUSPECT + _VICTIM_ID_ONLY),
            persons=2,
            sightings=9,
            selector_types=("device", "email", "ip", "phone", "username"),
        ),
        Example(
            "bad-values",
            _report(_BAD, when="yesterday"),
            persons=1,
            sightings=1,
            error_fields=(
                "incidentDateTime",
                "dateOfBirth",
                "ipAddress",
                "dateTime",
                "port",
                "hashType",
                "originalFileHash",
            ),
        ),
        Example(
            "two-services-no-default",
            _report(_TWO_SERVICES),
            persons=3,
            sightings=3,
            quarantined=1,  # the victim's username: the report names two services and no default
        ),
        Example(
            "no-incident-summary",
            _NO_SUMMARY,
            persons=1,
            sightings=1,
            error_fields=("incidentSummary",),
            quarantined=1,  # the screen name: the report names no service
        ),
        Example("entity-bomb", ENTITY_BOMB, rejected=True),
        Example("external-entity", EXTERNAL_ENTITY, rejected=True),
        Example("truncated", FULL_REPORT[: len(FULL_REPORT) // 2], rejected=True),
        Example("wrong-root", b"<rss><channel/></rss>", rejected=True),
    ]
