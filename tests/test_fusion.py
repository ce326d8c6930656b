"""Reciprocal rank fusion, top-k selection and min-max scaling (pure functions, no index)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.retrieve.fusion import RRF_K, min_max, reciprocal_rank_fusion, top_items


def brute_force_rrf(rankings: list[list[int]], weights: list[float], k: int) -> dict[int, float]:
    """The definition written out: for every id, sum w / (k + 1-based rank) over the lists that hold it."""
    ids = {item for ranking in rankings for item in ranking}
    return {
        item: sum(w / (k + ranking.index(item) + 1) for ranking, w in zip(rankings, weights, strict=True)
                  if item in ranking)
        for item in ids
    }


def test_rrf_on_hand_made_rankings() -> None:
    scores = reciprocal_rank_fusion([[10, 20, 30], [30, 10]])
    assert set(scores) == {10, 20, 30}
    assert scores[10] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[20] == pytest.approx(1 / 62)  # missing from the second list: nothing from it
    assert scores[30] == pytest.approx(1 / 63 + 1 / 61)
    # 10 is first and second, 30 third and first: 1/61 + 1/62 > 1/61 + 1/63
    assert [item for item, _ in top_items(scores, 3)] == [10, 30, 20]


def test_rrf_default_k_is_60_and_k_is_used() -> None:
    assert RRF_K == 60
    assert reciprocal_rank_fusion([[7]])[7] == pytest.approx(1 / 61)
    assert reciprocal_rank_fusion([[7, 8]], k=1)[8] == pytest.approx(1 / 3)


def test_rrf_weights_change_the_winner() -> None:
    rankings = [[1, 2], [2, 1]]
    equal = reciprocal_rank_fusion(rankings)
    assert equal[1] == pytest.approx(equal[2])
    dense_first = reciprocal_rank_fusion(rankings, weights=[2.0, 1.0])
    assert dense_first[1] == pytest.approx(2 / 61 + 1 / 62)
    assert dense_first[2] == pytest.approx(2 / 62 + 1 / 61)
    assert top_items(dense_first, 1)[0][0] == 1
    lexical_first = reciprocal_rank_fusion(rankings, weights=[1.0, 2.0])
    assert top_items(lexical_first, 1)[0][0] == 2


def test_rrf_zero_weight_list_contributes_nothing() -> None:
    scores = reciprocal_rank_fusion([[1, 2], [3]], weights=[1.0, 0.0])
    assert scores[3] == 0.0
    assert scores[1] == pytest.approx(1 / 61)


def test_rrf_needs_one_weight_per_ranking() -> None:
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1], [2]], weights=[1.0])


def test_rrf_scales_shrink_each_item_s_vote() -> None:
    scores = reciprocal_rank_fusion([[1, 2], [2, 1]], weights=[1.0, 2.0], scales=[None, [0.25, 1.0]])
    assert scores[2] == pytest.approx(1 / 62 + 2 * 0.25 / 61)
    assert scores[1] == pytest.approx(1 / 61 + 2 * 1.0 / 62)
    # Unscaled, the second ranking (weight 2) puts 2 first; scaled down, 1 wins.
    assert top_items(reciprocal_rank_fusion([[1, 2], [2, 1]], weights=[1.0, 2.0]), 1)[0][0] == 2
    assert top_items(scores, 1)[0][0] == 1


def test_rrf_scale_of_ones_changes_nothing_and_zero_removes_the_vote() -> None:
    rankings = [[3, 1, 2], [2, 3]]
    assert reciprocal_rank_fusion(rankings, scales=[[1.0, 1.0, 1.0], None]) == reciprocal_rank_fusion(rankings)
    scores = reciprocal_rank_fusion(rankings, scales=[None, np.array([0.0, 0.0])])
    assert scores == pytest.approx(reciprocal_rank_fusion([rankings[0]]))


def test_rrf_needs_one_scale_per_ranked_item() -> None:
    with pytest.raises(ValueError, match="3 items has 2 scales"):
        reciprocal_rank_fusion([[1, 2, 3]], scales=[[1.0, 1.0]])


def test_rrf_accepts_numpy_ids_and_returns_python_ints() -> None:
    scores = reciprocal_rank_fusion([np.array([4, 5], dtype=np.int64)])
    assert all(type(item) is int for item in scores)
    assert scores[4] == pytest.approx(1 / 61)


def test_rrf_of_nothing_is_empty() -> None:
    assert reciprocal_rank_fusion([]) == {}
    assert reciprocal_rank_fusion([[], []]) == {}
    assert top_items({}, 5) == []


def test_top_items_breaks_ties_by_smaller_id() -> None:
    scores = {9: 0.5, 3: 0.5, 5: 0.7, 1: 0.1, 4: 0.5}
    assert top_items(scores, 10) == [(5, 0.7), (3, 0.5), (4, 0.5), (9, 0.5), (1, 0.1)]
    assert top_items(scores, 2) == [(5, 0.7), (3, 0.5)]
    # the order of the dict does not matter
    assert top_items(dict(reversed(list(scores.items()))), 10) == top_items(scores, 10)


def test_tied_fused_scores_rank_by_row_id() -> None:
    # 2 and 8 each hold a first and a second place: a tie, broken by the smaller row
    scores = reciprocal_rank_fusion([[8, 2], [2, 8]])
    assert scores[2] == pytest.approx(scores[8])
    assert [item for item, _ in top_items(scores, 2)] == [2, 8]


rankings_strategy = st.lists(
    st.lists(st.integers(min_value=0, max_value=40), max_size=25, unique=True), min_size=1, max_size=4
)


@settings(max_examples=200, deadline=None)
@given(rankings=rankings_strategy, data=st.data())
def test_rrf_matches_brute_force(rankings: list[list[int]], data: st.DataObject) -> None:
    weights = data.draw(st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=len(rankings),
                                 max_size=len(rankings)))
    k = data.draw(st.integers(min_value=1, max_value=100))
    fused = reciprocal_rank_fusion(rankings, weights, k=k)
    expected = brute_force_rrf(rankings, weights, k)
    assert set(fused) == set(expected)
    for item, score in expected.items():
        assert fused[item] == pytest.approx(score, rel=1e-12, abs=1e-15)

    n = data.draw(st.integers(min_value=0, max_value=50))
    top = top_items(fused, n)
    assert len(top) == min(n, len(fused))
    reference = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:n]
    assert top == reference
    # best first; equal scores in increasing id order
    for (a, sa), (b, sb) in pairwise(top):
        assert sa > sb or (sa == sb and a < b)


@settings(max_examples=100, deadline=None)
@given(rankings=rankings_strategy)
def test_rrf_rewards_a_better_rank(rankings: list[list[int]]) -> None:
    """With equal weights, within one list an earlier id never scores less than a later id
    that appears in no other list."""
    fused = reciprocal_rank_fusion(rankings)
    only_here = {item for item in rankings[0] if sum(item in r for r in rankings) == 1}
    for earlier, later in pairwise(rankings[0]):
        if later in only_here:
            assert fused[earlier] > fused[later]


def test_min_max() -> None:
    assert min_max(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert min_max(np.array([5.0, 5.0])).tolist() == [1.0, 1.0]
    assert min_max(np.array([])).size == 0
    scaled = min_max(np.array([-3.0, 10.0, 0.25, 7.0]))
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    assert np.all(np.diff(scaled[np.argsort([-3.0, 10.0, 0.25, 7.0])]) >= 0)


# --- signals fused by weight (search.retrieve.fusion.fuse) -------------------------------------------
def test_fuse_weighs_each_signal_and_a_zero_weight_casts_no_vote() -> None:
    from search.retrieve.fusion import Ranking, fuse

    rankings = [Ranking("dense", np.array([1, 2, 3])), Ranking("focus_sentence", np.array([3, 2, 1]))]
    assert [row for row, _ in fuse(rankings, {"dense": 1.0, "focus_sentence": 0.0})] == [1, 2, 3]
    assert [row for row, _ in fuse(rankings, {"dense": 1.0, "focus_sentence": 2.0})] == [3, 2, 1]
    tied = fuse(rankings, {"dense": 1.0, "focus_sentence": 1.0})
    assert [row for row, _ in tied] == [1, 3, 2]  # 1 and 3 tie: the lower row first
    assert tied[0][1] == pytest.approx(1 / 61 + 1 / 63)


def test_fuse_scales_a_vote_by_its_trust() -> None:
    from search.retrieve.fusion import Ranking, fuse

    lexical = Ranking("lexical", np.array([5, 6]), np.array([0.1, 1.0]))
    assert [row for row, _ in fuse([lexical], {"lexical": 1.0})] == [6, 5]


def test_a_ranking_names_a_known_signal_and_one_scale_per_row() -> None:
    from search.retrieve.fusion import Ranking

    with pytest.raises(ValueError, match="unknown signal"):
        Ranking("colour", np.array([1]))
    with pytest.raises(ValueError, match="2 scales"):
        Ranking("lexical", np.array([1]), np.array([1.0, 0.5]))
