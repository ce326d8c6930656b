"""Tests for ingest/forces.py: the force list, name lookup and mentions in free text."""

from __future__ import annotations

import re

import pytest

from ingest.forces import (
    KINDS,
    Force,
    ForceMention,
    all_forces,
    canonical_force,
    count_forces,
    find_forces,
)

POLICE_REGIONS = {
    "Eastern",
    "East Midlands",
    "London",
    "North East",
    "North West",
    "South East",
    "South West",
    "Wales",
    "West Midlands",
    "Yorkshire and the Humber",
}

ALIAS_CASES = [(force.name, alias) for force in all_forces() for alias in (force.name, *force.aliases)]
PLACE_CASES = [
    (force.name, alias)
    for force in all_forces()
    for alias in force.aliases
    if force.kind == "territorial"
    and not re.search(r"police|constabulary|heddlu|service|yard|\bthe\b|&", alias, re.IGNORECASE)
    and not re.search(r"[A-Z]{2}", alias)
]


def forces_in(text: str) -> list[str]:
    return [mention.force for mention in find_forces(text)]


# --- the list -----------------------------------------------------------------------------------


def test_exactly_43_territorial_forces_in_ten_police_regions() -> None:
    territorial = [force for force in all_forces() if force.kind == "territorial"]
    assert len(territorial) == 43
    assert {force.region for force in territorial} == POLICE_REGIONS
    assert sum(force.region == "Wales" for force in territorial) == 4
    assert sum(force.region == "London" for force in territorial) == 2


def test_force_records_are_well_formed() -> None:
    forces = all_forces()
    assert all(isinstance(force, Force) for force in forces)
    assert len({force.name for force in forces}) == len(forces)
    assert all(force.kind in KINDS for force in forces)
    assert all(force.region for force in forces)
    assert all(isinstance(force.aliases, tuple) for force in forces)
    assert all_forces() is forces  # loaded once


def test_non_territorial_forces_present() -> None:
    kinds = {force.name: force.kind for force in all_forces()}
    assert kinds["British Transport Police"] == "national"
    assert kinds["Civil Nuclear Constabulary"] == "national"
    assert kinds["Ministry of Defence Police"] == "national"
    assert kinds["National Crime Agency"] == "national"
    assert kinds["Police Service of Northern Ireland"] == "other_uk"
    assert kinds["Police Scotland"] == "other_uk"
    assert kinds["Isle of Man Constabulary"] == "crown_dependency"
    assert kinds["States of Jersey Police"] == "crown_dependency"
    assert kinds["Bailiwick of Guernsey Law Enforcement"] == "crown_dependency"


def test_no_alias_is_shared_by_two_forces() -> None:
    owner: dict[str, str] = {}
    for force in all_forces():
        for alias in (force.name, *force.aliases):
            assert owner.setdefault(alias.casefold(), force.name) == force.name, alias


@pytest.mark.parametrize("alias", ["London", "Yorkshire", "Wales", "Scotland", "England", "Midlands"])
def test_ambiguous_names_are_not_aliases(alias: str) -> None:
    assert all(alias not in force.aliases for force in all_forces())


# --- canonical_force --------------------------------------------------------------------------


@pytest.mark.parametrize(("force", "alias"), ALIAS_CASES)
def test_every_alias_resolves_to_its_force(force: str, alias: str) -> None:
    assert canonical_force(alias) == force
    assert canonical_force(alias.upper()) == force
    assert canonical_force(alias.lower()) == force


@pytest.mark.parametrize(("force", "alias"), PLACE_CASES)
def test_place_name_with_any_suffix_resolves(force: str, alias: str) -> None:
    assert canonical_force(f"{alias} Police") == force
    assert canonical_force(f"{alias} Constabulary") == force
    assert canonical_force(f"{alias} Police's") == force


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("herts", "Hertfordshire Constabulary"),
        ("Hertfordshire Police", "Hertfordshire Constabulary"),
        ("Hertfordshire Constabulary’s", "Hertfordshire Constabulary"),
        ("  hertfordshire   constabulary ", "Hertfordshire Constabulary"),
        ("Dyfed Powys", "Dyfed-Powys Police"),
        ("Dyfed–Powys Police", "Dyfed-Powys Police"),
        ("dyfed-powys constabulary", "Dyfed-Powys Police"),
        ("the met", "Metropolitan Police Service"),
        ("The Met Police", "Metropolitan Police Service"),
        ("Metropolitan Police", "Metropolitan Police Service"),
        ("GMP", "Greater Manchester Police"),
        ("Hampshire Constabulary", "Hampshire and Isle of Wight Constabulary"),
        ("Hampshire Police", "Hampshire and Isle of Wight Constabulary"),
        ("Avon & Somerset Police", "Avon and Somerset Constabulary"),
        ("Devon & Cornwall", "Devon and Cornwall Police"),
        ("Guernsey Police", "Bailiwick of Guernsey Law Enforcement"),
        ("British Transport Constabulary", "British Transport Police"),
        ("Leicestershire Constabulary", "Leicestershire Police"),
        ("PSNI", "Police Service of Northern Ireland"),
    ],
)
def test_canonical_force_examples(name: str, expected: str) -> None:
    assert canonical_force(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "London",
        "Yorkshire",
        "Wales",
        "England and Wales",
        "Scotland",
        "Mercia",
        "Police",
        "Atlantis Police",
    ],
)
def test_canonical_force_unknown_is_none(name: str) -> None:
    assert canonical_force(name) is None


def test_canonical_force_rejects_non_string() -> None:
    with pytest.raises(TypeError, match="expects a str"):
        canonical_force(None)  # type: ignore[arg-type]


# --- find_forces ------------------------------------------------------------------------------


@pytest.mark.parametrize(("force", "alias"), ALIAS_CASES)
def test_every_alias_is_found_whole_in_text(force: str, alias: str) -> None:
    text = f"Inspectors visited {alias} in May."
    mentions = find_forces(text)
    assert [m.force for m in mentions] == [force]
    assert mentions[0].matched == alias
    assert text[mentions[0].start : mentions[0].end] == alias


@pytest.mark.parametrize(("force", "alias"), PLACE_CASES)
def test_place_name_with_suffix_is_one_full_mention(force: str, alias: str) -> None:
    for text in (f"{alias} Police", f"{alias} Constabulary"):
        mentions = find_forces(f"We inspected {text}'s response.")
        assert mentions == [ForceMention(force, 13, 13 + len(text), text, True)]


def test_mentions_are_in_order_with_offsets() -> None:
    text = "Kent Police and Essex Police, then GMP and the Met; finally Kent."
    mentions = find_forces(text)
    assert [m.force for m in mentions] == [
        "Kent Police",
        "Essex Police",
        "Greater Manchester Police",
        "Metropolitan Police Service",
        "Kent Police",
    ]
    assert all(text[m.start : m.end] == m.matched for m in mentions)
    assert [m.full_name for m in mentions] == [True, True, False, False, False]


def test_england_and_wales_is_not_a_force() -> None:
    assert find_forces("all 43 forces in England and Wales") == []
    assert find_forces("forces in Wales, London and Yorkshire") == []


def test_three_forces_in_a_list() -> None:
    assert forces_in("Bedfordshire, Cambridgeshire and Hertfordshire") == [
        "Bedfordshire Police",
        "Cambridgeshire Constabulary",
        "Hertfordshire Constabulary",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("South Wales Police", ["South Wales Police"]),
        ("officers in North Wales", ["North Wales Police"]),
        ("Greater Manchester", ["Greater Manchester Police"]),
        ("Manchester", ["Greater Manchester Police"]),
        ("West Mercia Police", ["West Mercia Police"]),
        ("the kingdom of Mercia", []),
        ("Sussex Police", ["Sussex Police"]),
        ("East Sussex and West Sussex", ["Sussex Police", "Sussex Police"]),
        ("West Midlands", ["West Midlands Police"]),
        ("the East Midlands region", []),
        ("West Yorkshire and South Yorkshire", ["West Yorkshire Police", "South Yorkshire Police"]),
        ("Yorkshire and the Humber", []),
        ("City of London", ["City of London Police"]),
        ("Greater London", []),
        ("Hampshire and Isle of Wight Constabulary", ["Hampshire and Isle of Wight Constabulary"]),
        ("Hampshire Constabulary", ["Hampshire and Isle of Wight Constabulary"]),
        ("Avon and Somerset Constabulary", ["Avon and Somerset Constabulary"]),
        ("Devon & Cornwall Police", ["Devon and Cornwall Police"]),
        ("County Durham", ["Durham Constabulary"]),
        ("New South Wales Police Force", []),
        ("New Jersey", []),
        ("forecasts from the Met Office", []),
        ("North East Lincolnshire and Lincolnshire", ["Lincolnshire Police"]),
        ("Kentish Town", []),
        ("HMIC Eastern Region", []),
    ],
)
def test_ambiguity_cases(text: str, expected: list[str]) -> None:
    assert forces_in(text) == expected


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("Hertfordshire Constabulary's officers", "Hertfordshire Constabulary"),
        ("Hertfordshire Constabulary’s officers", "Hertfordshire Constabulary"),
        ("the forces’ view, Herts’ view", "Herts"),
        ("Hertfordshire\nConstabulary", "Hertfordshire\nConstabulary"),
        ("Hertfordshire \r\n  Constabulary", "Hertfordshire \r\n  Constabulary"),
        ("HERTFORDSHIRE CONSTABULARY", "HERTFORDSHIRE CONSTABULARY"),
    ],
)
def test_possessives_line_breaks_and_case(text: str, matched: str) -> None:
    mentions = find_forces(text)
    assert [(m.force, m.matched) for m in mentions] == [("Hertfordshire Constabulary", matched)]


@pytest.mark.parametrize(
    "text",
    [
        "Dyfed-Powys Police",
        "Dyfed–Powys Police",
        "Dyfed—Powys Police",
        "Dyfed Powys Police",
        "Dyfed -\nPowys Police",
    ],
)
def test_dash_variants(text: str) -> None:
    mentions = find_forces(f"In {text}, ")
    assert [(m.force, m.matched, m.full_name) for m in mentions] == [("Dyfed-Powys Police", text, True)]


@pytest.mark.parametrize(
    "text",
    [
        "we met the team",
        "Met with the chief constable",
        "officers met police staff",
        "MPs asked questions",
        "the nca said",
        "gmp and tvp",
        "staff staffs the desk; the plant wilts",
        "a blue jersey",
    ],
)
def test_abbreviations_and_common_words_are_case_sensitive(text: str) -> None:
    assert find_forces(text) == []


@pytest.mark.parametrize(
    ("text", "force"),
    [
        ("the Met", "Metropolitan Police Service"),
        ("The Met said", "Metropolitan Police Service"),
        ("Met Police officers", "Metropolitan Police Service"),
        ("the MPS response", "Metropolitan Police Service"),
        ("the NCA said", "National Crime Agency"),
        ("GMP", "Greater Manchester Police"),
        ("TVP", "Thames Valley Police"),
        ("in Staffs", "Staffordshire Police"),
        ("hertfordshire", "Hertfordshire Constabulary"),
        ("Jersey", "States of Jersey Police"),
    ],
)
def test_abbreviations_match_as_written(text: str, force: str) -> None:
    assert forces_in(text) == [force]


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("Hertfordshire Constabulary", True),
        ("Hertfordshire Police", True),
        ("Metropolitan Police", True),
        ("the Met Police", True),
        ("National Crime Agency", True),
        ("Police Scotland", True),
        ("Bailiwick of Guernsey Law Enforcement", True),
        ("Hertfordshire", False),
        ("Herts", False),
        ("the Met", False),
        ("NCA", False),
        ("Scotland Yard", False),
    ],
)
def test_full_name_flag(text: str, full: bool) -> None:
    (mention,) = find_forces(text)
    assert mention.full_name is full


def test_count_forces() -> None:
    text = "Kent Police worked with Essex. Kent's officers and the Met. Kent Police's view."
    counts = count_forces(text)
    assert counts == {"Kent Police": 3, "Essex Police": 1, "Metropolitan Police Service": 1}
    assert count_forces("") == {}


def test_find_forces_rejects_non_string() -> None:
    with pytest.raises(TypeError, match="expects a str"):
        find_forces(b"Kent Police")  # type: ignore[arg-type]


def test_long_report_text() -> None:
    """A 100-page-sized text gives every mention (no timing asserted)."""
    page = "Hertfordshire Constabulary works with Bedfordshire Police and the NCA. " * 40 + "\n"
    counts = count_forces(page * 100)
    assert counts["Hertfordshire Constabulary"] == 4000
    assert counts["Bedfordshire Police"] == 4000
    assert counts["National Crime Agency"] == 4000
