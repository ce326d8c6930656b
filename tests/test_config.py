"""Settings: one validated object for every weight and threshold, round-tripping through JSON, and
actually read by the stages that use it."""

from __future__ import annotations

import json

import pytest

from search.config import AnswerSettings, RetrievalSettings, Settings, TrailSettings
from search.errors import SettingsError
from search.retrieve.searcher import Searcher


def test_settings_round_trip_through_json() -> None:
    changed = Settings(retrieval=RetrievalSettings(candidates=50, sentence_weight=2.0),
                       trails=TrailSettings(threshold=0.7))
    again = Settings.from_dict(json.loads(json.dumps(changed.to_dict())))
    assert again == changed and again != Settings()
    assert Settings.from_dict({}) == Settings() == Settings.from_dict(None)
    assert Settings.from_dict({"answer": {"max_quotes": 2}}).answer.max_quotes == 2


def test_every_field_is_documented() -> None:
    for group, fields in Settings.describe().items():
        assert fields, group
        assert all(doc.strip() for doc in fields.values()), group


@pytest.mark.parametrize(("data", "words"), [
    ({"retrieval": {"candidates": 0}}, ["RetrievalSettings.candidates", "from 1"]),
    ({"retrieval": {"candidates": 2.5}}, ["whole number"]),
    ({"answer": {"abstain_below": 1.5}}, ["AnswerSettings.abstain_below", "to 1.0"]),
    ({"answer": {"extra_quote_ratio": "high"}}, ["must be a number"]),
    ({"answer": {"max_quotes": True}}, ["must be a number"]),
    ({"retrieval": {"rrf": 60}}, ["unknown retrieval setting", "rrf_k"]),
    ({"ranking": {}}, ["unknown settings group", "retrieval"]),
    ([1, 2], ["object of groups"]),
])
def test_bad_settings_are_refused_with_the_field_named(data: object, words: list[str]) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_dict(data)  # type: ignore[arg-type]
    for word in words:
        assert word in str(caught.value)


def test_a_searcher_reads_its_settings(fake_index, fake_embedder) -> None:
    question = "How does the force protect missing children?"
    default = Searcher.load(fake_index, embedder=fake_embedder)
    assert default.settings == Settings()
    one_vote = Searcher.load(fake_index, embedder=fake_embedder, settings=Settings(
        retrieval=RetrievalSettings(lexical_weight=0.0, sentence_weight=0.0, focus_sentence_weight=0.0,
                                    year_weight=0.0)))
    dense_only = one_vote.search(question, k=10).hits
    cosines = [h.dense_score for h in dense_only]
    assert cosines == sorted(cosines, reverse=True)  # with only the dense vote, hits follow their cosine
    fused = [h.dense_score for h in default.search(question, k=10).hits]
    assert fused != sorted(fused, reverse=True)  # the default fuses other votes in


def test_answers_read_their_settings(fake_searcher, fake_index, fake_embedder) -> None:
    from search.answer.router import answer

    question = "How does the force protect missing children?"
    assert len(answer(fake_searcher, question).citations) > 1
    one_quote = Searcher.load(fake_index, embedder=fake_embedder, settings=Settings(answer=AnswerSettings(
        max_quotes=1)))
    assert len(answer(one_quote, question).citations) == 1
