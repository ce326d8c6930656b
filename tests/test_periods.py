"""One period parser: a period reads the same in a report's text, in an address and in a correction."""

from __future__ import annotations

import pytest

from ingest.dates import Period, find_periods, period_of, read_period
from ingest.overrides import parse_period
from ingest.urlmeta import hint_from_url, hint_from_words, period_label


@pytest.mark.parametrize(("written", "slug", "period"), [
    ("2016", "2016", (2016, 2016)),
    ("2018/19", "2018-19", (2018, 2019)),
    ("2023–25", "2023-25", (2023, 2025)),
    ("2023–2025", "2023-2025", (2023, 2025)),
    ("1999/00", "1999-00", (1999, 2000)),
])
def test_text_address_and_correction_agree(written: str, slug: str, period: tuple[int, int]) -> None:
    in_text = find_periods(f"PEEL {written}: An inspection of Kent Police")[0][0]
    in_words = hint_from_words(f"peel-{slug}-kent")
    in_address = hint_from_url(f"https://hmicfrs.justiceinspectorates.gov.uk/peel-reports/kent-{slug}/")
    assert (in_text.year_from, in_text.year_to) == period
    assert (in_words.year, in_words.year_to) == period
    assert (in_address.year, in_address.year_to) == period
    assert parse_period(written) == period
    assert read_period(written) == Period(*period)


def test_two_years_too_far_apart_are_not_one_period_in_text_or_addresses() -> None:
    assert period_of(2015, 2022) == Period(2015, 2015)
    assert hint_from_words("peel-2015-2022-kent").year_to == 2015
    assert [p for p, _, _ in find_periods("from 2015–2022 crime rose")] == [Period(2015, 2015)]


def test_a_stated_correction_may_span_longer_but_not_backwards() -> None:
    assert read_period("2014 to 2024") == Period(2014, 2024)
    with pytest.raises(ValueError, match="does not end after it starts"):
        read_period("2019/18")
    with pytest.raises(ValueError, match="not a year or period"):
        read_period("PEEL 2016")


def test_one_way_of_showing_a_period() -> None:
    assert [period_label(a, b) for a, b in [(2016, 2016), (2021, 2022), (2023, 2025)]] == ["2016", "2021/22", "2023–25"]
