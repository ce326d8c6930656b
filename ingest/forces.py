"""The police forces HMIC / HMICFRS inspects, and finding them in text.

The list lives in ``ingest/data/forces.json``: one canonical name per force (as HMICFRS writes
it today) plus the aliases people and reports use. This module adds the variants that need no
listing: case, possessives (``Kent Police's``), curly apostrophes, line breaks inside a name,
``&`` for ``and``, any dash or a space for a hyphen, and swapping or adding a ``Police`` /
``Constabulary`` suffix (``Hertfordshire Police`` is Hertfordshire Constabulary). The Welsh
forces' Welsh names (``Heddlu Gwent``, ``Heddlu Gogledd Cymru``) are aliases; ``Heddlu`` counts
as a full force name like ``Police``.

Ambiguous names are deliberately not aliases: ``London``, ``Yorkshire``, ``Wales``, ``Scotland``.
A few phrases that contain an alias but name something else (``New South Wales``,
``the Met Office``, ``North East Lincolnshire``) are recognised and skipped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

KINDS: tuple[str, ...] = ("territorial", "national", "crown_dependency", "other_uk")
"""Allowed values of ``Force.kind``."""

_NOT_FORCES: tuple[str, ...] = (
    "New South Wales",
    "New Jersey",
    "New Hampshire",
    "Met Office",
    "the Met Office",
    # Unitary areas policed by a different force from the county their name contains.
    "North Lincolnshire",  # Humberside
    "North East Lincolnshire",  # Humberside
    "South Gloucestershire",  # Avon and Somerset
)
"""Phrases that contain an alias but are not a mention of that force; matched and dropped."""

_COMMON_WORDS: frozenset[str] = frozenset({"Met", "Jersey", "Staffs", "Wilts"})
"""Alias words that are also ordinary English words, so they only match as capitalised or upper case."""

_SUFFIXES: tuple[str, ...] = ("police service", "police force", "constabulary", "police", "service", "force")
"""Suffixes (normalised) that may be swapped or dropped when looking a name up."""

_FULL_WORDS = re.compile(r"\b(?:police|constabulary|service|agency|enforcement|heddlu)\b", re.IGNORECASE)
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SEP = rf"(?:\s*[{_DASHES}]\s*|\s+)"
_REGEX_SUFFIX = rf"(?:{_SEP}(?:police(?:{_SEP}(?:service|force))?|constabulary))?"


@dataclass(frozen=True)
class Force:
    """One police force.

    Attributes:
        name: canonical name as HMICFRS writes it, e.g. "Hertfordshire Constabulary".
        kind: one of ``KINDS``: "territorial" (the 43 of England and Wales), "national"
            (BTP, CNC, MDP, NCA), "crown_dependency" or "other_uk" (PSNI, Police Scotland).
        region: police region, e.g. "Eastern", "London", "Wales"; "National", "Scotland",
            "Northern Ireland" or "Crown Dependencies" for the others.
        aliases: other names in use, e.g. ("Hertfordshire", "Herts", "Hertfordshire Police").
    """

    name: str
    kind: str
    region: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ForceMention:
    """A force named in free text.

    Attributes:
        force: canonical name of the force.
        start: offset of the first character of the mention in the text.
        end: offset one past the last character (``text[start:end] == matched``).
        matched: the text as written, e.g. "Herts" or "Hertfordshire\\nConstabulary".
        full_name: True for a force name ("Kent Police", "the Met Police", "National Crime Agency"),
            False for a bare place name or abbreviation ("Kent", "the Met", "GMP").
    """

    force: str
    start: int
    end: int
    matched: str
    full_name: bool


def _key(name: str) -> str:
    """Normalise a name for lookup: case, possessive, apostrophes, '&', dashes and spacing."""
    text = unicodedata.normalize("NFKC", name).replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=\w)'s\b", "", text)
    text = re.sub(r"(?<=s)'(?!\w)", "", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.lower().split())


def _strip_suffix(key: str) -> str | None:
    """``key`` without a trailing force-type suffix, or None when it has none."""
    for suffix in _SUFFIXES:
        if key.endswith(" " + suffix):
            return key[: -len(suffix) - 1]
    return None


@cache
def all_forces() -> tuple[Force, ...]:
    """Every force in ``ingest/data/forces.json``, in file order (loaded once).

    Raises:
        ValueError: the JSON is malformed (unknown kind, duplicate name, alias shared by two
            forces); fix ``ingest/data/forces.json``.
    """
    raw = resources.files("ingest").joinpath("data", "forces.json").read_text(encoding="utf-8")
    forces = tuple(
        Force(
            name=item["name"],
            kind=item["kind"],
            region=item["region"],
            aliases=tuple(item.get("aliases", ())),
        )
        for item in json.loads(raw)["forces"]
    )
    _check(forces)
    return forces


def _check(forces: tuple[Force, ...]) -> None:
    """Raise ValueError if the force list is inconsistent."""
    owner: dict[str, str] = {}
    for force in forces:
        if force.kind not in KINDS:
            raise ValueError(f"forces.json: {force.name!r} has kind {force.kind!r}; use one of {KINDS}")
        for name in (force.name, *force.aliases):
            key = _key(name)
            if owner.get(key, force.name) != force.name:
                raise ValueError(
                    f"forces.json: {name!r} names both {owner[key]!r} and {force.name!r}; "
                    "remove the alias from one of them"
                )
            owner[key] = force.name


@cache
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """(direct, stems): normalised name or alias -> canonical; suffix-less stems -> canonical."""
    direct: dict[str, str] = {}
    stems: dict[str, str] = {}
    for force in all_forces():
        for name in (force.name, *force.aliases):
            key = _key(name)
            direct[key] = force.name
            stem = _strip_suffix(key)
            if stem:
                stems.setdefault(stem, force.name)
    return direct, stems


def _lookup(key: str) -> str | None:
    """Canonical name for a normalised key, allowing a dropped or swapped suffix."""
    direct, stems = _index()
    if key in direct:
        return direct[key]
    stem = _strip_suffix(key)
    if stem:
        return direct.get(stem) or stems.get(stem)
    return None


def canonical_force(name: str) -> str | None:
    """The canonical name of the force ``name`` refers to, or None if it names no known force.

    Lookup ignores case, punctuation, possessives and dash style, accepts a leading "the", and
    accepts a swapped suffix: "herts", "Dyfed Powys", "the met", "Hertfordshire Police" and
    "Kent Police's" all resolve.

    Raises:
        TypeError: ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"canonical_force expects a str, got {type(name).__name__}")
    key = _key(name)
    if not key:
        return None
    candidates = [key]
    if key.startswith("the "):
        candidates.append(key[4:])
    else:
        candidates.append("the " + key)
    for candidate in candidates:
        found = _lookup(candidate)
        if found:
            return found
    return None


def _token_pattern(token: str) -> str:
    """Regex for one alias word; abbreviations and common words match case-sensitively."""
    if token.lower() in ("and", "&"):
        return "(?:and|&)"
    if token in _COMMON_WORDS or any(ch.isupper() for ch in token[1:]):
        forms = dict.fromkeys((token, token.upper()))
        return "(?-i:" + "|".join(re.escape(form) for form in forms) + ")"
    return re.escape(token)


def _alias_pattern(alias: str, allow_suffix: bool) -> str:
    """Regex for one alias: flexible spacing/dashes between words, optional force-type suffix."""
    tokens = [t for t in re.split(rf"[\s{_DASHES}]+", alias) if t]
    pattern = _SEP.join(_token_pattern(t) for t in tokens)
    return pattern + _REGEX_SUFFIX if allow_suffix else pattern


@cache
def _mention_regex() -> re.Pattern[str]:
    """One alternation over every name, alias and non-force phrase, longest first."""
    entries: list[tuple[str, bool]] = []
    for force in all_forces():
        for name in (force.name, *force.aliases):
            entries.append((name, not _FULL_WORDS.search(name)))
    entries.extend((phrase, False) for phrase in _NOT_FORCES)
    entries.sort(key=lambda entry: len(entry[0]), reverse=True)
    patterns = dict.fromkeys(_alias_pattern(name, allow_suffix) for name, allow_suffix in entries)
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)


@cache
def _not_force_keys() -> frozenset[str]:
    return frozenset(_key(phrase) for phrase in _NOT_FORCES)


def find_forces(text: str) -> list[ForceMention]:
    """Every mention of a force in ``text``, in order of appearance, never overlapping.

    Place names and abbreviations count ("Herts", "GMP", "the Met"); "England and Wales",
    "London" or "Yorkshire" alone do not. Abbreviations match case-sensitively, so "we met the
    team" has no Metropolitan Police mention.

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_forces expects a str, got {type(text).__name__}")
    mentions: list[ForceMention] = []
    skip = _not_force_keys()
    for match in _mention_regex().finditer(text):
        matched = match.group(0)
        key = _key(matched)
        if key in skip:
            continue
        force = _lookup(key)
        if force is None:  # pragma: no cover - every alternative comes from a name or alias
            continue
        full = key == _key(force) or bool(_FULL_WORDS.search(matched))
        mentions.append(ForceMention(force, match.start(), match.end(), matched, full))
    return mentions


def count_forces(text: str) -> Counter[str]:
    """How many times each force is mentioned in ``text``, keyed by canonical name."""
    return Counter(mention.force for mention in find_forces(text))
