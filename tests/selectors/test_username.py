from __future__ import annotations

import pytest

from caseweave.selectors import InvalidSelector, normalise


def test_namespaced_by_lowercased_platform() -> None:
    assert normalise("username", "@Alice", platform=" Instagram ").value == "instagram:alice"


def test_same_handle_on_two_platforms_differs() -> None:
    assert (
        normalise("username", "alice", platform="x").value
        != normalise("username", "alice", platform="tiktok").value
    )


def test_nfkc_and_casefold() -> None:
    assert normalise("username", "ﬁＲＥ", platform="x").value == "x:fire"  # ligature and full-width


def test_missing_platform_has_a_hint() -> None:
    with pytest.raises(InvalidSelector) as caught:
        normalise("username", "alice")
    assert caught.value.field == "platform"
    assert caught.value.hint


@pytest.mark.parametrize("raw", ["a b", "a\x00b", "a\u200db", "@@", "x" * 300])
def test_rejected(raw: str) -> None:
    with pytest.raises(InvalidSelector):
        normalise("username", raw, platform="instagram")
