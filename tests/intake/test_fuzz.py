"""Mutated files, from every format's shipped examples: reading one ends in items or in the project's
own refusal, never in another exception. (bench/ holds no longer run yet; this one is bounded so
that `make test` stays quick.)"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseweave.errors import CaseweaveError
from caseweave.intake.records import ReferralHeader
from caseweave.intake.registry import IMPORTERS, SNIFF_BYTES, choose_importer
from caseweave.intake.text_check import checked

EXAMPLES = [
    (name, example.name, example.content)
    for name, importer in sorted(IMPORTERS.items())
    for example in importer.examples()
    if example.content
]
# What hostile or broken files hold where text or a number is expected.
TOKENS = [
    b'"\\ud800"', b'"\\udfff x"', b"[1, 2]", b"{}", b"null", b"true", b"1e999", b"-0", b'"\xc2\xb2"',
    b'"\xd9\xa3"', b"9" * 5000, b'"' + b"9" * 5000 + b'"', b"\x00", b"\xff\xfe", b'"\\u0000"',
    b"<a>", b"]]>", b"&amp;", b",,,,", b"\r\n", b'"' + b"A" * 70000 + b'"',
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt, _, content = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(content)))
        kind = draw(st.sampled_from(["insert", "replace", "truncate", "byte"]))
        if kind == "insert":
            content = content[:at] + draw(st.sampled_from(TOKENS)) + content[at:]
        elif kind == "replace":
            end = min(len(content), at + draw(st.integers(1, 12)))
            content = content[:at] + draw(st.sampled_from(TOKENS)) + content[end:]
        elif kind == "truncate":
            content = content[:at]
        else:
            content = content[:at] + bytes([draw(st.integers(0, 255))]) + content[at + 1 :]
    return fmt, content


@given(case=mutated(), named=st.booleans())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_mutated_file_is_read_or_refused_never_a_crash(case: tuple[str, bytes], named: bool) -> None:
    fmt, content = case
    file_name = f"mutated.{fmt}"
    try:
        importer = choose_importer(fmt if named else "auto", content[:SNIFF_BYTES], file_name)
        items = list(checked(importer.parse(io.BytesIO(content), file_name), file_name))
    except CaseweaveError as refused:
        assert str(refused), "a refusal says why"
        return
    assert items and isinstance(items[0], ReferralHeader), "a header first, always"
    assert sum(isinstance(item, ReferralHeader) for item in items) == 1
