"""`categories: all`: every category is tracked, a market without one still is not."""

from __future__ import annotations

from omegacopy.domain.decisions import ReasonCode, check_category

from .factories import strategy, trade


def test_all_categories_tracks_any_category() -> None:
    s = strategy(categories=frozenset(), all_categories=True)
    assert check_category(trade(category="culture"), s) is None
    assert check_category(trade(category="Politics"), s) is None


def test_all_categories_still_skips_a_market_without_a_category() -> None:
    s = strategy(categories=frozenset(), all_categories=True)
    for missing in (None, "", "  "):
        skip = check_category(trade(category=missing), s)
        assert skip is not None and skip.code == ReasonCode.CATEGORY_NOT_TRACKED


def test_without_the_flag_an_empty_list_still_tracks_nothing() -> None:
    skip = check_category(trade(category="politics"), strategy(categories=frozenset()))
    assert skip is not None and skip.code == ReasonCode.CATEGORY_NOT_TRACKED
