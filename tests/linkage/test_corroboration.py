"""A model link needs a signal that names a person; weak shared tokens alone never link."""

from __future__ import annotations

from typing import Any

import pytest

from caseweave.linkage.corroboration import (
    ADDRESS,
    BORN,
    BUILDING,
    IDENTIFIERS,
    NAME_AGREES,
    NAME_PARTS,
    corroborated,
)
from caseweave.linkage.splink_settings import settings_dict


def parts(**levels: tuple[str, float]) -> dict[str, Any]:
    return {name: {"level": level, "match_weight": weight} for name, (level, weight) in levels.items()}


def test_a_handle_core_with_other_digits_and_a_common_first_name_do_not_link() -> None:
    """sonofgod123 ~ sonofgod456 and both called Daniel: the case that chained six people into one."""
    assert not corroborated(
        parts(
            username=("same core, other digits", 6.1),
            given_name=("exact", 4.2),
            family_name=("different", -3.0),
            country=("exact", 1.0),
            locality=("the town alone", 2.5),
        )
    )


@pytest.mark.parametrize(
    "strong",
    [
        {"email": ("e-mail address in common", 9.0)},
        {"phone": ("phone number in common", 9.0)},
        {"username": ("same handle elsewhere", 7.0)},
        {"date_of_birth": ("day and month swapped", 5.0)},
        {"ip": ("an IP-day in common", 3.0)},
        {"street": ("same address", 6.0), "given_name": ("different", -4.0)},
        {"street": ("street and premise lines swapped", 5.0), "given_name": ("similar (typo)", 2.0)},
        {
            "street": ("same street, number other or unstated", 2.0),
            "premise": ("alike (typo)", 3.0),
            "date_of_birth": ("within a year", 1.0),
        },
        {"given_name": ("exact", 3.0), "family_name": ("swapped with given_name", 4.0)},
    ],
)
def test_one_signal_that_names_a_person_corroborates_the_weak_ones(
    strong: dict[str, tuple[str, float]],
) -> None:
    assert corroborated(parts(**{"locality": ("the town alone", 2.0), **strong}))


def test_a_strong_level_the_model_weighs_against_a_match_does_not_corroborate() -> None:
    assert not corroborated(parts(ip=("an IP-day in common", -0.5), username=("same handle core", 5.0)))


def test_a_street_without_the_building_does_not_corroborate() -> None:
    """Relatives and neighbours share a street and a town: that is a household, not a person."""
    street = ("same street, number other or unstated", 3.0)
    assert not corroborated(
        parts(family_name=("exact", 6.0), street=street, locality=("same postcode and town", 4.0))
    )


def test_a_family_name_at_an_address_without_a_first_name_or_a_birth_date_does_not_corroborate() -> None:
    """Nothing of the person, only the household's: on pseudopeople's records 57 % of such pairs were
    two members of one household. A date of birth or a stated first name makes it a person's again."""
    household = {"family_name": ("exact", 7.0), "street": ("same address", 6.0)}
    assert not corroborated(parts(**household))
    assert corroborated(parts(**household), alone_at_address=True)  # nobody else known there
    assert corroborated(parts(**household, date_of_birth=("exact", 6.0)))
    assert corroborated(parts(**household, given_name=("alike (transliteration)", 1.0)))
    assert corroborated(parts(**household, email=("e-mail address in common", 9.0)))


def test_one_name_part_alone_does_not_corroborate() -> None:
    assert not corroborated(parts(given_name=("exact", 8.0), family_name=("different", -2.0)))
    assert corroborated(parts(given_name=("exact", 8.0), family_name=("alike (transliteration)", 2.0)))


def test_every_strong_level_is_a_level_the_model_has() -> None:
    """A renamed level would silently turn corroboration off: the labels must be the model's own."""
    settings = settings_dict("duckdb")
    labels = {
        comparison["output_column_name"]: {
            level["label_for_charts"] for level in comparison["comparison_levels"]
        }
        for comparison in settings["comparisons"]
    }
    for comparison, levels in (*IDENTIFIERS.items(), BORN, ADDRESS, *BUILDING):
        assert levels <= labels[comparison], comparison
    for name in NAME_PARTS:
        assert NAME_AGREES & labels[name] == NAME_AGREES - {f"swapped with {name}"}
