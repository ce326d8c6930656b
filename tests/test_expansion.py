"""Words of a question the reports never use are looked up among the reports' words; function
words never are, whether or not the reports use them."""

from __future__ import annotations

import numpy as np

from search.index.expansion import FUNCTION_WORDS, QueryExpander
from search.index.lexical import tokenize


def test_function_words_are_never_taken_for_unknown_report_words() -> None:
    expander = QueryExpander(["unit", "formed"], np.eye(2, 384, dtype=np.float32))
    known = {t for t in tokenize(["the unit was formed what happened"])[0]}
    unknown = expander.unknown_words("What happened to the unit before it was renamed, and why here?", known)
    assert unknown == ["renamed"]  # "before", "why" and "here" are function words, absent from the reports too
    assert {"before", "here", "why"} <= FUNCTION_WORDS


def test_a_topic_word_the_reports_never_use_is_unknown() -> None:
    expander = QueryExpander(["burglary"], np.eye(1, 384, dtype=np.float32))
    known = set(tokenize(["burglary victims"])[0])
    assert expander.unknown_words("Are burglars caught?", known) == ["burglars", "caught"]
