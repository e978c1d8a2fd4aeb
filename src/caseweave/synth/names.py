"""Invented names: every given and family name is glued from the syllables below, never taken from a list
of real people. Countries get a flavour (a syllable set), and variants model what referrals really do:
transliterations (Aleksandr / Alexander), typos, and missing names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Flavour:
    starts: tuple[str, ...]
    middles: tuple[str, ...]
    given_ends: tuple[str, ...]
    family_ends: tuple[str, ...]


FLAVOURS: dict[str, Flavour] = {
    "anglo": Flavour(
        ("bra", "cal", "dar", "fen", "gar", "hol", "jes", "mar", "nor", "tam", "wil", "ash", "bel", "cor"),
        ("", "", "ri", "den", "la", "ton", "mer", "wy"),
        ("by", "ric", "wyn", "ley", "son", "tha", "ra", "ette", "al"),
        ("by", "ford", "ham", "ley", "ridge", "wick", "ton", "well", "worth"),
    ),
    "slavic": Flavour(
        ("ale", "bor", "dra", "mir", "ole", "sve", "vla", "yar", "zla", "kse", "tar", "mik"),
        ("", "ks", "sla", "dim", "kh", "no", "ro"),
        ("sandr", "ya", "slav", "mir", "na", "dr", "ko", "ksei"),
        ("enko", "ovich", "sky", "ova", "chuk", "ski", "kov", "ev"),
    ),
    "romance": Flavour(
        ("alo", "bel", "cas", "dor", "fel", "gio", "lor", "mar", "pao", "ros", "val", "tei"),
        ("", "", "ri", "ca", "len", "va", "zo"),
        ("ino", "ela", "aro", "etta", "ano", "ia", "io", "ente"),
        ("ez", "elli", "ardo", "ano", "eira", "ini", "ona", "ares"),
    ),
    "germanic": Flavour(
        ("bal", "eck", "fri", "gun", "hel", "jor", "kla", "lud", "ott", "wil", "sie", "ulf"),
        ("", "", "de", "ber", "man", "ri"),
        ("bert", "hild", "win", "mar", "ke", "rich", "trud", "olf"),
        ("mann", "berg", "horst", "bach", "stein", "feld", "hof", "schild"),
    ),
    "nordic": Flavour(
        ("as", "bjo", "ei", "fri", "hal", "ing", "kjel", "sig", "tor", "ulv", "vig", "sol"),
        ("", "", "ri", "mun", "ve", "la"),
        ("rik", "dis", "vald", "ny", "stein", "gerd", "mund", "ja"),
        ("sen", "sson", "dal", "rud", "lund", "vik", "heim", "strand"),
    ),
    "asian": Flavour(
        ("ha", "ki", "ma", "no", "ri", "sa", "ta", "yu", "jin", "min", "hyo", "ren"),
        ("", "", "ka", "to", "su", "mi"),
        ("ko", "shi", "ra", "na", "ji", "ho", "ya", "ri"),
        ("moto", "kawa", "hara", "yama", "ta", "min", "ong", "da"),
    ),
    "south": Flavour(
        ("ama", "bon", "dze", "kha", "lin", "nan", "ran", "sip", "tha", "zan", "vel", "ish"),
        ("", "", "di", "ku", "la", "wa"),
        ("ile", "du", "ani", "esh", "ita", "ara", "ndo", "wa"),
        ("ani", "dla", "war", "kumo", "ela", "pura", "nathi", "van"),
    ),
}

COUNTRY_FLAVOUR: dict[str, str] = {
    **dict.fromkeys(("GB", "CA", "US", "AU", "NZ", "IE"), "anglo"),
    **dict.fromkeys(("PL", "CZ", "UA", "SK", "HR", "BG", "RS"), "slavic"),
    **dict.fromkeys(("FR", "ES", "IT", "PT", "BR", "MX", "AR", "CL", "CO", "RO", "BE"), "romance"),
    **dict.fromkeys(("DE", "NL", "AT", "CH"), "germanic"),
    **dict.fromkeys(("SE", "NO", "DK", "FI", "IS"), "nordic"),
    **dict.fromkeys(("JP", "KR", "SG", "PH"), "asian"),
    **dict.fromkeys(("ZA", "IN"), "south"),
}

# Transliteration rules (from → to), applied to one place in a name: Aleksandr → Alexander, Yurko → Jurko.
TRANSLITERATIONS: tuple[tuple[str, str], ...] = (
    ("ks", "x"),
    ("x", "ks"),
    ("ndr", "nder"),
    ("kh", "ch"),
    ("ch", "kh"),
    ("k", "c"),
    ("c", "k"),
    ("v", "w"),
    ("w", "v"),
    ("y", "j"),
    ("j", "y"),
    ("ph", "f"),
    ("sch", "sh"),
    ("ou", "u"),
    ("ei", "ey"),
    ("ss", "s"),
    ("ij", "y"),
)

STREET_PARTS = (
    (
        "Bramble",
        "Cinder",
        "Hollow",
        "Larch",
        "Mistle",
        "Pebble",
        "Quarry",
        "Rook",
        "Sorrel",
        "Thistle",
        "Wren",
    ),
    ("Lane", "Row", "Close", "Way", "Court", "Walk", "Rise", "Gardens"),
)
TOWN_PARTS = (
    ("Ald", "Bex", "Cro", "Dun", "Elm", "Fal", "Gris", "Hal", "Ivo", "Kel"),
    ("mere", "ford", "by", "stow"),
)

HANDLE_WORDS = (
    ("dark", "silent", "lone", "grey", "night", "cold", "swift", "void", "iron", "lucky", "pale", "wild"),
    ("fox", "owl", "wolf", "raven", "lynx", "moth", "pike", "crow", "hare", "viper", "stag", "eel"),
)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def given_name(rng: random.Random, flavour: str) -> str:
    fl = FLAVOURS[flavour]
    return _cap(rng.choice(fl.starts) + rng.choice(fl.middles) + rng.choice(fl.given_ends))


def family_name(rng: random.Random, flavour: str) -> str:
    fl = FLAVOURS[flavour]
    return _cap(rng.choice(fl.starts) + rng.choice(fl.middles) + rng.choice(fl.family_ends))


@cache
def _pieces() -> frozenset[str]:
    out: set[str] = set()
    for fl in FLAVOURS.values():
        out.update(fl.starts, fl.middles, fl.given_ends, fl.family_ends)
    out.discard("")
    return frozenset(out)


def is_invented(name: str) -> bool:
    """Whether every word of name is glued from this module's syllables (so it cannot be a real person)."""
    pieces = _pieces()
    for word in name.lower().split():
        ok = [True] + [False] * len(word)
        for end in range(1, len(word) + 1):
            ok[end] = any(ok[start] and word[start:end] in pieces for start in range(max(0, end - 6), end))
        if not ok[-1]:
            return False
    return True


def transliterate(rng: random.Random, name: str) -> str:
    """One transliteration applied at one place, or the name unchanged if no rule fits."""
    lower = name.lower()
    options = [(a, b) for a, b in TRANSLITERATIONS if a in lower]
    if not options:
        return name
    src, dst = rng.choice(options)
    spots = [i for i in range(len(lower)) if lower.startswith(src, i)]
    at = rng.choice(spots)
    return _cap(lower[:at] + dst + lower[at + len(src) :])


def typo(rng: random.Random, name: str) -> str:
    """A keyboard slip: two letters swapped, one dropped, or one doubled."""
    if len(name) < 4:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        out = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    elif kind == 1:
        out = name[:i] + name[i + 1 :]
    else:
        out = name[: i + 1] + name[i] + name[i + 1 :]
    return _cap(out.lower())


def street_address(rng: random.Random) -> str:
    number = rng.randint(1, 240)
    return f"{number} {rng.choice(STREET_PARTS[0])} {rng.choice(STREET_PARTS[1])}"


def town(rng: random.Random) -> str:
    return rng.choice(TOWN_PARTS[0]) + rng.choice(TOWN_PARTS[1])


def base_handle(rng: random.Random) -> str:
    return rng.choice(HANDLE_WORDS[0]) + rng.choice(HANDLE_WORDS[1])


LEET = str.maketrans({"a": "4", "e": "3", "o": "0", "i": "1", "s": "5"})


def handle_variant(rng: random.Random, base: str, digits: str) -> str:
    """A platform's spelling of a base handle: case, digits, leetspeak, separators.

    darkfox / DarkFox88 / d4rkf0x / dark_fox88 / DARKFOX
    """
    words = next(((w1, base[len(w1) :]) for w1 in HANDLE_WORDS[0] if base.startswith(w1)), (base, ""))
    kind = rng.randrange(6)
    if kind == 0:
        return base
    if kind == 1:
        return "".join(_cap(w) for w in words) + digits
    if kind == 2:
        return base.translate(LEET)
    if kind == 3:
        return "_".join(w for w in words if w) + digits
    if kind == 4:
        return base.upper()
    return base + digits
