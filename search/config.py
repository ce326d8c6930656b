"""One typed settings object for every weight and threshold of retrieval, answers and trails.

``Settings()`` holds the values the product ships with (calibrated on the development set;
docs/retrieval.md, docs/answers.md and docs/findings.md say how). A ``Searcher`` carries one;
``build_index`` takes one for the trail thresholds it stores with the findings. Every field is
checked when a settings object is made, so a bad value fails at once with its name, not later
inside a search. ``to_dict()``/``from_dict()`` round-trip through JSON, so an evaluation run can
save the settings it used beside its figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from search.errors import SettingsError


def _setting(default: float, doc: str, *, low: float | None = None, high: float | None = None) -> Any:
    return field(default=default, metadata={"doc": doc, "low": low, "high": high})


@cache
def _shipped_model() -> dict[str, Any]:
    """search/evidence_model.json: the fitted evidence model and the thresholds calibrated with it."""
    from importlib import resources

    return json.loads(resources.files("search").joinpath("evidence_model.json").read_text(encoding="utf-8"))


def _calibrated(name: str, fallback: float) -> float:
    return float(_shipped_model().get("calibrated", {}).get(name, fallback))


@cache
def _retrieval_fit() -> dict[str, Any]:
    """search/retrieval_weights.json: the fusion weights fitted on the development split by
    eval/fit_retrieval.py (absent: the fallbacks below)."""
    from importlib import resources

    path = resources.files("search").joinpath("retrieval_weights.json")
    return json.loads(path.read_text(encoding="utf-8")).get("weights", {}) if path.is_file() else {}


def _fitted(name: str, fallback: float) -> float:
    return float(_retrieval_fit().get(name, fallback))


def _check(group: object) -> None:
    """Type and range of every field of a settings group; SettingsError naming the first bad one."""
    for f in fields(group):  # type: ignore[arg-type]
        value = getattr(group, f.name)
        wanted = type(f.default)
        name = f"{type(group).__name__}.{f.name}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{name} must be a number, not {value!r}")
        if wanted is int and not isinstance(value, int):
            raise SettingsError(f"{name} must be a whole number, not {value!r}")
        low, high = f.metadata.get("low"), f.metadata.get("high")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"from {low}" if high is None else f"from {low} to {high}"
            raise SettingsError(f"{name} must be {bounds}, not {value!r}: {f.metadata['doc']}")


@dataclass(frozen=True)
class RetrievalSettings:
    """How the dense, lexical, sentence and year rankings are made and fused, and how far a ranked
    chunk grows into the passage returned (docs/retrieval.md). The weights are fitted on the
    development split by eval/fit_retrieval.py (search/retrieval_weights.json)."""

    candidates: int = _setting(100, "rows each ranking contributes before fusion", low=1)
    dense_weight: float = _setting(_fitted("dense_weight", 1.0), "vote of the chunk-vector ranking", low=0.0)
    lexical_weight: float = _setting(_fitted("lexical_weight", 1.0), "vote of the BM25 ranking", low=0.0)
    sentence_weight: float = _setting(_fitted("sentence_weight", 0.0),
                                      "vote of the ranking by each chunk's sentence closest to the whole question",
                                      low=0.0)
    focus_sentence_weight: float = _setting(
        _fitted("focus_sentence_weight", 1.5),
        "vote of the ranking by each chunk's sentence closest to the question's focus (what is asked, without "
        "the forces, years and question words)", low=0.0)
    year_weight: float = _setting(_fitted("year_weight", 0.5),
                                  "vote of the ranking of chunks from years the question names", low=0.0)
    rrf_k: int = _setting(60, "reciprocal rank fusion constant: score = weight / (rrf_k + rank)", low=1)
    full_lexical_coverage: float = _setting(
        _fitted("full_lexical_coverage", 0.5),
        "share of the question's words (by idf) a lexical match must hold for a full vote; below it the vote "
        "shrinks in proportion", low=0.01, high=1.0)
    passage_chars: int = _setting(
        2600, "a ranked chunk is returned grown with its neighbours in the report up to this many characters "
              "(about 400 words; 0 returns the chunk alone)", low=0)
    max_query_chars: int = _setting(2000, "longer questions are cut to this many characters", low=1)

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class ExpansionSettings:
    """Which report words stand in for a question word the reports never use (docs/retrieval.md)."""

    min_similarity: float = _setting(0.55, "least cosine between a question word and a report word", low=-1.0,
                                     high=1.0)
    neighbours: int = _setting(3, "report words added per unknown question word, at most", low=0)

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class AnswerSettings:
    """Which sentences are quoted and when the product abstains (docs/answers.md). Probabilities are
    those of the evidence model (``EvidenceModel``) that a sentence answers the question."""

    search_k: int = _setting(10, "passages searched for an answer, at least", low=1)
    cross_search_k: int = _setting(30, "passages searched for a question across years or forces", low=1)
    passages: int = _setting(6, "top passages whose sentences may be quoted", low=1)
    cross_passages: int = _setting(20, "top passages quoted from for a question across years or forces", low=1)
    max_quotes: int = _setting(4, "quotes in one answer to a single-report question, at most", low=1)
    fan_out_groups: int = _setting(8, "across years or named forces: reports (or forces) searched one by one, "
                                      "at most", low=0)
    fan_out_passages: int = _setting(3, "passages taken from each report (or force) searched one by one", low=1)
    abstain_below: float = _setting(_calibrated("abstain_below", 0.30),
                                    "abstain when no sentence is this likely to answer (calibrated on the "
                                    "development split by eval/fit_answers.py)", low=0.0, high=1.0)
    extra_quote_ratio: float = _setting(_calibrated("extra_quote_ratio", 0.75),
                                        "a further quote is at least this share as likely as the best "
                                        "(calibrated on the development split)", low=0.0, high=1.0)
    per_report_ratio: float = _setting(_calibrated("per_report_ratio", 0.3),
                                       "across years or forces: a report's best sentence is quoted when it is at "
                                       "least this share as likely as the best of all; below it the report is said "
                                       "not to cover the question (calibrated on the development split)",
                                       low=0.0, high=1.0)
    elsewhere_margin: float = _setting(0.2, "a question naming forces abstains when other forces' reports hold a "
                                            "sentence this much closer to what it asks (cosine to its focus) than "
                                            "any sentence of the named forces' reports (chosen on the development "
                                            "split)", low=0.0, high=2.0)
    topic_cosine: float = _setting(0.35, "abstain when no sentence of the passages is this close to what the question "
                                         "asks (cosine to its focus) and none holds topic_coverage of its words "
                                         "(chosen on the development split)", low=-1.0, high=1.0)
    topic_coverage: float = _setting(0.3, "see topic_cosine: the idf-weighted share of the focus's words a sentence "
                                          "(with its heading and lead) holds", low=0.0, high=1.0)
    max_foreign: float = _setting(0.5, "abstain when this share of the question's words is foreign to the "
                                       "reports", low=0.0, high=1.0)
    figure_window: int = _setting(8, "a figure counts as about the focus within this many words of a focus word",
                                  low=1)
    count_window: int = _setting(4, "a 'how many' question is answered by a number with the noun it counts "
                                    "within this many words", low=1)
    count_similarity: float = _setting(0.45, "a word after a number stands for the noun a 'how many' question counts "
                                            "when its word vector is this close to the noun's (chosen on the "
                                            "development split)", low=-1.0, high=2.0)

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class EvidenceModel:
    """Weights that turn a candidate sentence's features into the probability that it answers the
    question: logistic regression fitted on the development split by eval/fit_answers.py, whose
    output (search/evidence_model.json) is committed and read here."""

    features: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    intercept: float = 0.0
    mean: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()
    fitted_on: str = ""

    def __post_init__(self) -> None:
        n = len(self.features)
        for name in ("weights", "mean", "scale"):
            values = getattr(self, name)
            if len(values) != n or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise SettingsError(f"EvidenceModel.{name} must hold {n} numbers, one per feature")
        if any(v <= 0 for v in self.scale):
            raise SettingsError("EvidenceModel.scale must be positive: refit with eval/fit_answers.py")

    @classmethod
    def shipped(cls) -> EvidenceModel:
        """The model fitted for this version (search/evidence_model.json)."""
        return cls.from_dict(_shipped_model())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceModel:
        try:
            return cls(features=tuple(data["features"]), weights=tuple(data["weights"]),
                       intercept=float(data["intercept"]), mean=tuple(data["mean"]), scale=tuple(data["scale"]),
                       fitted_on=str(data.get("fitted_on", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise SettingsError(f"the evidence model is incomplete ({exc}): refit with eval/fit_answers.py") from exc

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "weights": list(self.weights), "intercept": self.intercept,
                "mean": list(self.mean), "scale": list(self.scale), "fitted_on": self.fitted_on}


@dataclass(frozen=True)
class GradeSettings:
    """How a question about grades is matched to a graded inspection question (docs/findings.md)."""

    question_cosine: float = _setting(0.35, "least cosine of the question's topic words to a graded question",
                                      low=-1.0, high=1.0)
    theme_bonus: float = _setting(0.15, "added to a graded question of the theme the words name", low=0.0)
    theme_strength: int = _setting(2, "theme-word score from which the question names a theme", low=1)

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class TrailSettings:
    """When a later report's passage revisits a finding (docs/findings.md); stored with the findings."""

    threshold: float = _setting(0.62, "match score of a passage in a section of the finding's theme",
                                low=-1.0, high=1.0)
    cross_theme_threshold: float = _setting(0.72, "match score of a passage in a section of another theme",
                                            low=-1.0, high=1.0)
    links_per_report: int = _setting(3, "passages of one later report linked to one finding, at most", low=1)

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class IndexSettings:
    """How many generations a build keeps and when it merges segments (docs/index.md)."""

    keep_generations: int = _setting(2, "published generations kept (the live one included), so `inspectqa "
                                        "rollback` can restore the one before", low=1)
    max_segments: int = _setting(12, "a build merges small segments when a generation would hold more", low=2)
    merge_rows: int = _setting(25_000, "rows a build merges by itself at most (bounds its cost; `inspectqa index "
                                       "--optimize` merges everything)", low=1)

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class RelevanceSettings:
    """How a ranked passage's relevance is put in words for people ('strong match', 'close match',
    'related'), from its fused score as a share of the top passage's. Calibrated on the question
    bank's development split (docs/app.md): about a third of the passages within 95% of the top
    score hold the answer, a fifth of those within 85%, and almost none further down."""

    strong_share: float = _setting(0.95, "a passage scoring at least this share of the top passage is a "
                                         "'strong match'", low=0.0, high=1.0)
    close_share: float = _setting(0.85, "at least this share (below strong_share) is a 'close match'; lower "
                                        "is 'related'", low=0.0, high=1.0)

    def __post_init__(self) -> None:
        _check(self)
        if self.close_share > self.strong_share:
            raise SettingsError("RelevanceSettings.close_share must not be above strong_share")


_GROUPS: dict[str, type] = {"retrieval": RetrievalSettings, "expansion": ExpansionSettings,
                            "answer": AnswerSettings, "grades": GradeSettings, "trails": TrailSettings,
                            "index": IndexSettings, "relevance": RelevanceSettings}


@dataclass(frozen=True)
class Settings:
    """Every weight and threshold, grouped by the stage that reads it."""

    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    expansion: ExpansionSettings = field(default_factory=ExpansionSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    grades: GradeSettings = field(default_factory=GradeSettings)
    trails: TrailSettings = field(default_factory=TrailSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    relevance: RelevanceSettings = field(default_factory=RelevanceSettings)
    evidence: EvidenceModel = field(default_factory=EvidenceModel.shipped)

    def __post_init__(self) -> None:
        for name, group in _GROUPS.items():
            if not isinstance(getattr(self, name), group):
                raise SettingsError(f"Settings.{name} must be a {group.__name__}")
        if not isinstance(self.evidence, EvidenceModel):
            raise SettingsError("Settings.evidence must be an EvidenceModel")

    def to_dict(self) -> dict[str, Any]:
        """{"retrieval": {"candidates": 100, ...}, ..., "evidence": {...}}: plain JSON."""
        data: dict[str, Any] = {name: {f.name: getattr(getattr(self, name), f.name) for f in fields(group)}
                                for name, group in _GROUPS.items()}
        data["evidence"] = self.evidence.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Settings:
        """Settings from ``to_dict()`` output; missing groups and fields keep their defaults.

        Raises:
            SettingsError: an unknown group or field, or a bad value (the message names it).
        """
        data = data or {}
        if not isinstance(data, dict):
            raise SettingsError(f"settings must be an object of groups ({', '.join(_GROUPS)}), not {data!r}")
        unknown = set(data) - set(_GROUPS) - {"evidence"}
        if unknown:
            raise SettingsError(f"unknown settings group(s) {', '.join(sorted(unknown))}: use "
                                f"{', '.join(_GROUPS)}")
        groups: dict[str, Any] = {}
        for name, group in _GROUPS.items():
            values = data.get(name) or {}
            if not isinstance(values, dict):
                raise SettingsError(f"settings group {name} must be an object, not {values!r}")
            known = {f.name for f in fields(group)}
            if set(values) - known:
                raise SettingsError(f"unknown {name} setting(s) {', '.join(sorted(set(values) - known))}: use "
                                    f"{', '.join(sorted(known))}")
            groups[name] = group(**values)
        if data.get("evidence") is not None:
            if not isinstance(data["evidence"], dict):
                raise SettingsError(f"settings group evidence must be an object, not {data['evidence']!r}")
            groups["evidence"] = EvidenceModel.from_dict(data["evidence"])
        return cls(**groups)

    @staticmethod
    def describe() -> dict[str, dict[str, str]]:
        """What each field means, by group (for documentation and --help texts)."""
        return {name: {f.name: f.metadata["doc"] for f in fields(group)} for name, group in _GROUPS.items()}


__all__ = ["AnswerSettings", "EvidenceModel", "ExpansionSettings", "GradeSettings", "IndexSettings", "RetrievalSettings",
           "Settings", "TrailSettings"]
__all__ = ["AnswerSettings", "EvidenceModel", "ExpansionSettings", "GradeSettings", "RelevanceSettings",
           "RetrievalSettings", "Settings", "TrailSettings"]
