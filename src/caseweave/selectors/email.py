"""E-mail addresses: case-folded, IDNA domain, provider-specific aliases folded to the mailbox."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from caseweave.selectors.base import Normalised, SelectorExample, SelectorType
from caseweave.selectors.domains import normalise_domain

# RFC 5322 dot-atom characters; non-ASCII letters are allowed too (RFC 6531 internationalised mail).
_ATEXT = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]")


@dataclass(frozen=True)
class _Provider:
    fold_dots: bool  # the provider ignores dots in the local part
    canonical: str  # the domain all its aliases deliver to


# Only providers that document the behaviour; everyone else keeps the local part as given.
#   domain                                      dots ignored  "+tag" ignored  canonical domain
#   gmail.com, googlemail.com                   yes           yes             gmail.com
#   outlook.com, hotmail.com, live.com          no            yes             (itself)
#   protonmail.com/.ch, proton.me, pm.me        no            yes             (itself)
#   fastmail.com, fastmail.fm                   no            yes             (itself)
#   icloud.com, me.com, mac.com                 no            yes             (itself)
# Google Workspace domains are not listed: their administrators decide, so nothing is folded.
_PROVIDERS: dict[str, _Provider] = {
    "gmail.com": _Provider(fold_dots=True, canonical="gmail.com"),
    "googlemail.com": _Provider(fold_dots=True, canonical="gmail.com"),
    **{
        domain: _Provider(fold_dots=False, canonical=domain)
        for domain in (
            "outlook.com",
            "hotmail.com",
            "live.com",
            "protonmail.com",
            "protonmail.ch",
            "proton.me",
            "pm.me",
            "fastmail.com",
            "fastmail.fm",
            "icloud.com",
            "me.com",
            "mac.com",
        )
    },
}

_MAX_LOCAL = 64
_MAX_ADDRESS = 254


class EmailSelector(SelectorType):
    name = "email"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        local_raw, at, domain_raw = text.rpartition("@")
        if not at:
            raise self._invalid(f"e-mail address {text!r} has no '@'")
        # The domain is lowercased by the UTS #46 mapping; casefolding it first would turn a
        # distinct IDNA 2008 name such as "straße.de" into "strasse.de".
        local = local_raw.casefold()
        self._check_local(local, text)
        domain = normalise_domain(domain_raw, field=self.name)
        flags: set[str] = set()
        provider = _PROVIDERS.get(domain)
        if provider is not None:
            mailbox = local.partition("+")[0]
            if provider.fold_dots:
                mailbox = mailbox.replace(".", "")
            if not mailbox:
                raise self._invalid(f"e-mail address {text!r} has no mailbox name before its '+' tag")
            self._check_local(mailbox, text)  # "a.+tag" would leave "a.", itself no address
            if (mailbox, provider.canonical) != (local, domain):
                flags.add("alias_folded")
            local, domain = mailbox, provider.canonical
        value = f"{local}@{domain}"
        if len(value) > _MAX_ADDRESS:
            raise self._invalid(f"e-mail address is {len(value)} characters long (at most {_MAX_ADDRESS})")
        return Normalised(value, frozenset(flags))

    def _check_local(self, local: str, text: str) -> None:
        if not local:
            raise self._invalid(f"e-mail address {text!r} has nothing before the '@'")
        if len(local) > _MAX_LOCAL:
            raise self._invalid(f"local part of {text!r} is longer than {_MAX_LOCAL} characters")
        if local.startswith('"'):
            raise self._invalid(
                f"e-mail address {text!r} has a quoted local part",
                hint="quoted local parts are not accepted as selectors; give the address unquoted",
            )
        if local.startswith(".") or local.endswith(".") or ".." in local:
            raise self._invalid(f"local part of {text!r} has a leading, trailing or doubled dot")
        for char in local:
            if char == "." or _ATEXT.fullmatch(char):
                continue
            if ord(char) > 0x7F and unicodedata.category(char)[0] in "LMN":
                continue
            raise self._invalid(f"local part of {text!r} contains {char!r}, not allowed in an address")

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        return [
            SelectorExample("  Alice.Smith@Example.COM ", "alice.smith@example.com"),
            SelectorExample(
                "J.Doe+referral@GoogleMail.com", "jdoe@gmail.com", flags=frozenset({"alias_folded"})
            ),
            SelectorExample("j.doe+x@outlook.com", "j.doe@outlook.com", flags=frozenset({"alias_folded"})),
            SelectorExample("first.last+tag@example.org", "first.last+tag@example.org"),
            SelectorExample("user@Bücher.example", "user@xn--bcher-kva.example"),
            SelectorExample("Straße@example.de", "strasse@example.de"),
            SelectorExample("no-at-sign.example.com", None),
            SelectorExample("two..dots@example.com", None),
            SelectorExample("user@localhost", None),
            SelectorExample("user name@example.com", None),
            SelectorExample("user@exa_mple.com", None),
            SelectorExample("+tag@gmail.com", None),
        ]
