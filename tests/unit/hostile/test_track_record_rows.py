"""Track-record rows (Kelly's input): a bad row is refused with its reason, and its leader has no
record — never a stake computed from a row that contradicts itself."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.track_record_rows import parse_track_records

W1, W2 = "0x" + "c1" * 20, "0x" + "d2" * 20


def row(**overrides: Any) -> dict[str, Any]:
    base = {"wallet_address": W1, "category": "politics", "resolved_bets": 40, "wins": 24, "losing_bets": 16,
            "gains_usd": 2400.0, "losses_usd": 1600.0}  # fmt: skip
    return {**base, **overrides}


def test_a_valid_row_in_any_case_is_one_lower_case_record_with_exact_money() -> None:
    records, rejected = parse_track_records(
        [row(wallet_address=W1.upper().replace("0X", "0x"), category="Politics", gains_usd=0.1 + 0.2)], source="t"
    )
    assert rejected == []
    record = records[(W1, "politics")]
    assert (record.resolved_bets, record.wins, record.losing_bets) == (40, 24, 16)
    assert record.gains_usd == Decimal("0.30000000000000004")  # the float's own shortest text, no binary tail


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"wins": 30, "losing_bets": 11}, "exceed resolved_bets"),
        ({"gains_usd": 0.0}, "gains_usd and wins disagree"),
        ({"wins": 0, "resolved_bets": 16}, "gains_usd and wins disagree"),
        ({"losses_usd": 0.0}, "losses_usd and losing_bets disagree"),
        ({"wins": 0, "losing_bets": 0, "gains_usd": 0.0, "losses_usd": 0.0}, "without a win or a loss"),
        ({"gains_usd": float("nan")}, "gains_usd"),
        ({"losses_usd": float("inf")}, "losses_usd"),
        ({"losses_usd": -5.0}, "losses_usd"),
        ({"resolved_bets": None}, "resolved_bets"),
        ({"wins": -1}, "wins"),
        ({"wallet_address": "0x123"}, "wallet_address"),
        ({"category": ""}, "category"),
    ],
)
def test_a_row_that_contradicts_itself_or_its_ranges_is_refused(overrides: dict[str, Any], fragment: str) -> None:
    records, rejected = parse_track_records([row(**overrides)], source="clickhouse.metrics")
    assert records == {}
    (bad,) = rejected
    assert fragment in bad.reason and bad.source == "clickhouse.metrics"
    assert "2400" not in bad.reason  # a reason names the problem, never the row's values


def test_the_newest_row_wins_and_a_newer_bad_row_leaves_no_record() -> None:
    records, rejected = parse_track_records(
        [
            row(),
            row(resolved_bets=50, wins=30, losing_bets=20),
            row(wallet_address=W2),
            row(wallet_address=W2, wins=99),
        ],
        source="t",
    )
    assert records[(W1, "politics")].resolved_bets == 50
    assert (W2, "politics") not in records and len(rejected) == 1
