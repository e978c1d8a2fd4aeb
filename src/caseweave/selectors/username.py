"""Usernames ("handles"): only meaningful on one platform, so the value is "platform:handle"."""

from __future__ import annotations

import unicodedata

from caseweave.selectors.base import Normalised, SelectorExample, SelectorType
from caseweave.selectors.namespace import check_handle, normalise_platform


def fold(text: str) -> str:
    """NFKC then casefold, repeated to a fixed point: casefold can leave text that is not NFKC."""
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        if folded == text:
            break
        text = folded
    return text


class UsernameSelector(SelectorType):
    name = "username"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        key = normalise_platform(platform, field=self.name)
        # "@alice" and "alice" are the same handle; the handle itself is opaque (":" is kept, e.g. Matrix).
        handle = fold(text).lstrip("@")
        check_handle(handle, field=self.name, what="username")
        return Normalised(f"{key}:{handle}")

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        return [
            SelectorExample("@Alice_Example", "instagram:alice_example", platform="Instagram"),
            SelectorExample("  bob.example  ", "tiktok:bob.example", platform="tiktok"),
            SelectorExample("ＣＡＲＯＬ", "snapchat:carol", platform="snapchat"),
            SelectorExample("@dave:matrix.example", "matrix:dave:matrix.example", platform="matrix"),
            SelectorExample("Eve#1234", "discord:eve#1234", platform=" DISCORD "),
            SelectorExample("alice", None),
            SelectorExample("alice smith", None, platform="instagram"),
            SelectorExample("ali\u200bce", None, platform="instagram"),
            SelectorExample("@", None, platform="instagram"),
            SelectorExample("x" * 257, None, platform="instagram"),
            SelectorExample("alice", None, platform="my platform"),
        ]
