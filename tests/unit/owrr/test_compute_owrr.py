"""OWRR against docs/owrr.md: the worked example, the quirks kept from the original, the gates."""

from __future__ import annotations

import json
import math

import pytest

from omegacopy.domain.models import Confidence
from omegacopy.domain.owrr import (
    OwrrResult,
    Vote,
    WalletPosition,
    clamp_omega,
    compute_owrr,
    js_round,
    neutral_owrr,
)

from .factories import CATEGORY, WORKED_NO, WORKED_YES, market, metric, position, unit_votes


def test_worked_example_reproduces_every_printed_number() -> None:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    r = compute_owrr(CATEGORY, positions, metrics)

    assert [round(v.vote, 4) for v in r.yes_votes] == [48.9898, 17.7989, 41.0091]
    assert round(r.yes_score, 4) == 107.7978
    assert [round(v.open_risk, 4) for v in r.no_votes] == [480, 195, 66]
    assert [round(v.vote, 4) for v in r.no_votes] == [32.8634, 12.5678, 17.8729]
    assert round(r.no_score, 4) == 63.3041
    assert round(r.owrr, 5) == 0.63002
    assert r.slider == 63
    assert r.confidence is Confidence.LOW  # 6 votes
    assert (r.yes_qualified, r.no_qualified) == (3, 3)
    assert r.yes_avg_omega == pytest.approx((2.0 + 1.2 + 3.1) / 3)
    assert r.no_avg_risk == pytest.approx((480 + 195 + 66) / 3)
    assert r.category == CATEGORY


@pytest.mark.parametrize(
    ("omega_net", "expected"),
    [
        (None, 1.0),  # missing → neutral
        (0.0, 1.0),  # JS `0 || 1.0`: zero is neutral, not floored
        (-0.0, 1.0),
        (math.nan, 1.0),  # JS `NaN || 1.0`
        (0.05, 0.1),  # only 0 < ω < 0.1 is floored
        (-2.0, 0.1),
        (0.1, 0.1),
        (0.5, 0.5),
        (5.0, 5.0),
        (7.0, 5.0),
        (math.inf, 5.0),
    ],
)
def test_omega_clamp_and_falsy_quirk(omega_net: float | None, expected: float) -> None:
    assert clamp_omega(omega_net) == expected
    # ... and through the whole computation: the breakdown reports the clamped omega
    positions, metrics = market([(100, 0.5, omega_net), *unit_votes([1, 1])], unit_votes([1, 1, 1]))
    r = compute_owrr(CATEGORY, positions, metrics)
    assert r.yes_votes[0].omega == expected
    assert r.yes_votes[0].vote == pytest.approx(expected * math.sqrt(50))


def test_zero_risk_is_dropped_on_both_sides() -> None:
    # NO bought at avg 1.0 risks nothing on NO; YES at avg 0 risks nothing: both votes vanish
    positions, metrics = market(
        [(100, 0.0, 2.0), *unit_votes([1, 1, 1])],
        [(100, 1.0, 2.0), *unit_votes([1, 1, 1])],
    )
    r = compute_owrr(CATEGORY, positions, metrics)
    assert (r.yes_qualified, r.no_qualified) == (3, 3)
    assert all(v.wallet != "0xy00" for v in r.yes_votes)
    assert all(v.wallet != "0xn00" for v in r.no_votes)


def test_negative_or_nan_risk_is_dropped() -> None:
    positions, metrics = market(
        [(-100, 0.5, 1.0), (math.nan, 0.5, 1.0), *unit_votes([1, 1, 1])],
        [(100, 1.5, 1.0), *unit_votes([1, 1, 1])],  # NO risk 100 × (1 − 1.5) < 0
    )
    r = compute_owrr(CATEGORY, positions, metrics)
    assert (r.yes_qualified, r.no_qualified) == (3, 3)


def test_only_top_20_wallets_per_side_vote() -> None:
    yes = unit_votes([1] * 20)
    positions, metrics = market(yes, unit_votes([1, 1, 1]))
    # the 21st YES wallet is the smallest by value but would dominate the vote if counted
    positions.append(position("0xsmall", "YES", 1_000_000, 0.5, value=0.01))
    metrics.append(metric("0xsmall", 5.0))
    r = compute_owrr(CATEGORY, positions, metrics)
    assert r.yes_qualified == 20
    assert "0xsmall" not in {v.wallet for v in r.yes_votes}
    assert r.yes_score == pytest.approx(20.0)


def test_top_20_ties_break_by_wallet_address_not_row_order() -> None:
    # 21 wallets of equal value: the 20 lowest addresses win, whatever order the rows came in
    wallets = [f"0x{i:02d}" for i in range(21)]
    rows = [position(w, "YES", 2, 0.5, value=100) for w in wallets]
    metrics = [metric(w, 1.0) for w in wallets]
    no_pos, no_met = market([], unit_votes([1, 1, 1]))
    for ordering in (rows, list(reversed(rows))):
        r = compute_owrr(CATEGORY, ordering + no_pos, metrics + no_met)
        assert [v.wallet for v in r.yes_votes] == wallets[:20]


def test_gate_needs_three_positive_votes_on_each_side() -> None:
    positions, metrics = market(unit_votes([1, 4]), unit_votes([1, 1, 1]))
    two = compute_owrr(CATEGORY, positions, metrics)
    assert (two.owrr, two.slider, two.confidence) == (0.5, 50, Confidence.INSUFFICIENT)
    assert (two.yes_score, two.no_score, two.yes_avg_omega, two.no_avg_risk) == (0, 0, 0, 0)
    # counts and breakdown are still reported
    assert (two.yes_qualified, two.no_qualified) == (2, 3)
    assert len(two.yes_votes) == 2 and len(two.no_votes) == 3

    positions, metrics = market(unit_votes([1, 4, 9]), unit_votes([1, 1, 1]))
    three = compute_owrr(CATEGORY, positions, metrics)
    assert three.confidence is Confidence.LOW
    assert three.owrr == pytest.approx(6 / 9)


def test_gate_applies_to_no_side_too() -> None:
    positions, metrics = market(unit_votes([1, 1, 1]), unit_votes([1, 1]))
    assert compute_owrr(CATEGORY, positions, metrics).confidence is Confidence.INSUFFICIENT


@pytest.mark.parametrize(
    ("n_yes", "n_no", "expected"),
    [
        (5, 6, Confidence.LOW),  # 11
        (6, 6, Confidence.MEDIUM),  # 12
        (10, 9, Confidence.MEDIUM),  # 19
        (10, 10, Confidence.HIGH),  # 20
        (20, 20, Confidence.HIGH),
    ],
)
def test_confidence_boundaries(n_yes: int, n_no: int, expected: Confidence) -> None:
    positions, metrics = market(unit_votes([1] * n_yes), unit_votes([1] * n_no))
    assert compute_owrr(CATEGORY, positions, metrics).confidence is expected


def test_resolved_bets_qualification_boundary() -> None:
    positions, metrics = market(unit_votes([1, 1, 1]), unit_votes([1, 1, 1]), bets=10)
    assert compute_owrr(CATEGORY, positions, metrics).yes_qualified == 3
    positions, metrics = market(unit_votes([1, 1, 1]), unit_votes([1, 1, 1]), bets=9)
    r = compute_owrr(CATEGORY, positions, metrics)
    assert (r.yes_qualified, r.confidence) == (0, Confidence.INSUFFICIENT)


def test_missing_metrics_or_resolved_bets_means_not_qualified() -> None:
    positions, metrics = market(unit_votes([1, 1, 1, 1]), unit_votes([1, 1, 1]))
    metrics = [m for m in metrics if m.wallet_address != "0xy00"]
    metrics.append(metric("0xy01", 1.0, bets=None))  # last row wins: no resolved-bets count
    r = compute_owrr(CATEGORY, positions, metrics)
    assert {v.wallet for v in r.yes_votes} == {"0xy02", "0xy03"}


def test_half_up_rounding_like_js_math_round() -> None:
    # S_YES 1+1+3 = 5, S_NO 3: owrr 0.625 exactly, 100 × owrr = 62.5 → 63 (Python's round gives 62)
    positions, metrics = market(unit_votes([1, 1, 9]), unit_votes([1, 1, 1]))
    r = compute_owrr(CATEGORY, positions, metrics)
    assert (r.owrr, r.slider) == (0.625, 63)
    # S_YES 3, S_NO 1+4+16 = 21: owrr 0.125, 12.5 → 13
    positions, metrics = market(unit_votes([1, 1, 1]), unit_votes([1, 16, 256]))
    r = compute_owrr(CATEGORY, positions, metrics)
    assert (r.owrr, r.slider) == (0.125, 13)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (62.5, 63),
        (12.5, 13),
        (0.5, 1),
        (62.49999999, 62),
        (62.49999999999999, 62),  # the largest double below 62.5
        (0.49999999999999994, 0),  # floor(x + 0.5) would say 1; Math.round says 0
        (99.5, 100),
        (100.0, 100),
        (0.0, 0),
        (-2.5, -2),  # ties toward +infinity
    ],
)
def test_js_round(x: float, expected: int) -> None:
    assert js_round(x) == expected


def test_duplicate_metric_rows_last_one_wins() -> None:
    positions, metrics = market(unit_votes([1, 1, 1]), unit_votes([1, 1, 1]))
    later = [*metrics, metric("0xy00", 4.0, bets=5)]  # last row disqualifies
    assert compute_owrr(CATEGORY, positions, later).yes_qualified == 2
    # the last row re-qualifies and its omega is used
    again = [*later, metric("0xy00", 3.0, bets=30)]
    r = compute_owrr(CATEGORY, positions, again)
    assert r.yes_votes[0].omega == 3.0 and r.yes_votes[0].resolved_bets == 30


def test_wallet_on_both_sides_votes_on_both() -> None:
    positions, metrics = market(unit_votes([1, 1]), unit_votes([1, 1]))
    positions += [position("0xboth", "YES", 200, 0.25), position("0xboth", "NO", 100, 0.75)]
    metrics.append(metric("0xboth", 2.0))
    r = compute_owrr(CATEGORY, positions, metrics)
    yes = next(v for v in r.yes_votes if v.wallet == "0xboth")
    no = next(v for v in r.no_votes if v.wallet == "0xboth")
    assert (yes.open_risk, no.open_risk) == (50.0, 25.0)
    assert (yes.vote, no.vote) == (2.0 * math.sqrt(50), 2.0 * math.sqrt(25))
    assert (r.yes_qualified, r.no_qualified) == (3, 3)


def test_empty_market_is_neutral() -> None:
    r = compute_owrr(CATEGORY, [], [])
    assert r == neutral_owrr(CATEGORY)
    assert (r.owrr, r.slider, r.confidence, r.category) == (0.5, 50, Confidence.INSUFFICIENT, CATEGORY)


@pytest.mark.parametrize("category", [None, "", "   "])
def test_unknown_category_is_neutral(category: str | None) -> None:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    r = compute_owrr(category, positions, metrics)
    assert r == neutral_owrr(category)


def test_metrics_of_other_categories_and_windows_are_ignored() -> None:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    baseline = compute_owrr(CATEGORY, positions, metrics)
    noise = [metric(m.wallet_address, 0.1, 1000, category="sports") for m in metrics]
    noise += [metric(m.wallet_address, 0.1, 1000, window="30d") for m in metrics]
    noise += [metric(m.wallet_address, 0.1, 1000, category="Politics") for m in metrics]  # exact match
    assert compute_owrr(CATEGORY, positions, metrics + noise) == baseline
    assert compute_owrr(CATEGORY, positions, noise).confidence is Confidence.INSUFFICIENT


def test_wallet_addresses_match_case_insensitively() -> None:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    shouting = [metric(m.wallet_address.upper(), m.metric_2_omega_net) for m in metrics]
    r = compute_owrr(CATEGORY, positions, shouting)
    assert r.slider == 63
    assert r.yes_votes[0].wallet == "0xy00"  # as the position row spelled it


def test_split_position_rows_are_merged_per_wallet_and_side() -> None:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    whole = compute_owrr(CATEGORY, positions, metrics)
    first = positions[0]  # 1000 @ 0.60
    split = [position("0xy00", "YES", 500, 0.5), position("0xy00", "YES", 500, 0.7), *positions[1:]]
    r = compute_owrr(CATEGORY, split, metrics)
    assert r.yes_votes[0].wallet == first.wallet_address
    assert r.yes_votes[0].open_risk == pytest.approx(600.0)
    assert r.owrr == pytest.approx(whole.owrr)


def test_wallet_position_rejects_unknown_side() -> None:
    with pytest.raises(ValueError, match="side"):
        WalletPosition("0xa", "MAYBE", 1, 0.5, 0.5)


def test_to_dict_has_exactly_the_original_field_names_and_round_trips() -> None:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    r = compute_owrr(CATEGORY, positions, metrics)
    d = r.to_dict()
    assert list(d) == [
        "owrr",
        "slider",
        "yes_score",
        "no_score",
        "yes_qualified",
        "no_qualified",
        "yes_avg_omega",
        "no_avg_omega",
        "yes_avg_risk",
        "no_avg_risk",
        "category",
        "confidence",
        "breakdown",
    ]
    assert list(d["breakdown"]) == ["yes_votes", "no_votes"]
    assert list(d["breakdown"]["yes_votes"][0]) == ["wallet", "omega", "open_risk", "vote", "resolved_bets"]
    assert d["confidence"] == "low"
    # through JSON, as the tick's PostgreSQL cache stores it
    assert OwrrResult.from_dict(json.loads(json.dumps(d))) == r
    assert OwrrResult.from_dict(neutral_owrr(None).to_dict()) == neutral_owrr(None)


@pytest.mark.parametrize(
    "damage",
    [
        {"confidence": "certain"},
        {"slider": "63"},
        {"owrr": None},
        {"category": 7},
        {"breakdown": {"yes_votes": [{"wallet": "0xa"}], "no_votes": []}},
        {"breakdown": []},
        {"owrr": float("nan")},
        {"owrr": 1.5},
        {"slider": 101},
    ],
)
def test_from_dict_rejects_malformed_cache_rows(damage: dict[str, object]) -> None:
    positions, metrics = market(WORKED_YES, WORKED_NO)
    d = {**compute_owrr(CATEGORY, positions, metrics).to_dict(), **damage}
    with pytest.raises(ValueError):
        OwrrResult.from_dict(d)


def test_vote_round_trip() -> None:
    v = Vote("0xa", 1.5, 480.0, 32.86, 12)
    assert Vote.from_dict(v.to_dict()) == v
