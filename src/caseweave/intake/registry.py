"""The Importer plugins, and choosing one for a file."""

from __future__ import annotations

from pathlib import PurePath

from caseweave.errors import Invalid
from caseweave.intake.base import FileRejected, Importer
from caseweave.intake.formats.chat import ChatExportImporter
from caseweave.intake.formats.cybertip import CyberTipImporter
from caseweave.intake.formats.lines import UTF16_BOMS, load_json_line
from caseweave.intake.formats.misp import MispImporter
from caseweave.intake.formats.platform import PlatformReturnImporter
from caseweave.intake.formats.stix import StixImporter
from caseweave.intake.records import Location

IMPORTERS: dict[str, Importer] = {
    importer.name: importer
    for importer in (
        MispImporter(),
        StixImporter(),
        CyberTipImporter(),
        PlatformReturnImporter(),
        ChatExportImporter(),
    )
}
SNIFF_BYTES = 64 * 1024


def check_format(fmt: str, file_name: str) -> None:
    if fmt != "auto" and fmt not in IMPORTERS:
        raise Invalid(
            f"{file_name}: unknown format {fmt!r}",
            field="format",
            hint=f"use auto or one of {', '.join(IMPORTERS)}",
        )


def choose_importer(fmt: str, head: bytes, file_name: str) -> Importer:
    """The named importer, or with 'auto' the one whose sniff recognises the file's first bytes."""
    check_format(fmt, file_name)
    if fmt != "auto":
        return IMPORTERS[fmt]
    suffix = PurePath(file_name).suffix.lower()
    candidates = [imp for imp in IMPORTERS.values() if imp.sniff(head, file_name)]
    preferred = [imp for imp in candidates if suffix in imp.extensions] or candidates
    if not preferred:
        if head.startswith(UTF16_BOMS):  # say why no sniffer knew it, rather than "not a format"
            raise FileRejected(Location(file_name, line=1), "UTF-16 text: save it as UTF-8", field="encoding")
        raise Invalid(
            f"{file_name}: not a format caseweave reads{_what_json(head)}",
            field="format",
            hint=f"formats: {', '.join(IMPORTERS)}; name one with --format if detection fails",
        )
    return preferred[0]


def _what_json(head: bytes) -> str:
    """What a JSON object no importer knew holds, to say why (a MISP sighting, an empty object)."""
    value, problem = load_json_line(head.decode("utf-8-sig", errors="replace"))
    if problem is not None or not isinstance(value, dict):
        return ""
    if not value:
        return ": an empty JSON object, no MISP event and no STIX bundle"
    keys = ", ".join(sorted(str(key) for key in value)[:12])
    return f": a JSON object that is neither a MISP event nor a STIX 2.1 bundle or object (keys: {keys})"
