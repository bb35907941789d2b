"""Consensus rows: a bad position or metric row costs one vote, never the market or the tick."""

from __future__ import annotations

from typing import Any

from omegacopy.adapters.consensus_rows import parse_metrics, parse_positions

W1, W2 = "0x" + "c1" * 20, "0x" + "d2" * 20


def position(**overrides: Any) -> dict[str, Any]:
    base = {
        "market_id": "0xm1",
        "side": "YES",
        "wallet_address": W1,
        "total_shares": 100.0,
        "weighted_avg_entry_price": 0.6,
        "total_position_value": 60.0,
    }
    return {**base, **overrides}


def test_valid_rows_per_market_bad_ones_rejected_with_their_market() -> None:
    parsed = parse_positions(
        [
            position(),
            position(side="no", wallet_address=W2.upper().replace("0X", "0x")),
            position(market_id="0xm2", weighted_avg_entry_price=7.0),
            position(market_id="0xm2", total_shares=float("nan")),
            position(market_id="0xm2", side="MAYBE"),
            position(market_id="0xm3"),
        ],
        source="test",
    )
    assert sorted(parsed.by_market) == ["0xm1", "0xm3"]
    m1 = parsed.by_market["0xm1"]
    assert [(p.side, p.wallet_address) for p in m1] == [("YES", W1), ("NO", W2)]
    assert [m for m, _ in parsed.rejected] == ["0xm2", "0xm2", "0xm2"]
    reasons = " ".join(r.reason for _, r in parsed.rejected)
    assert "weighted_avg_entry_price" in reasons and "total_shares" in reasons and "side" in reasons


def test_metrics_in_any_case_and_non_finite_omegas_refused() -> None:
    rows = [
        {"wallet_address": W1.upper().replace("0X", "0x"), "category": "politics", "window": "lifetime",
         "metric_2_omega_net": 2.0, "metric_22_resolved_bets": 50},
        {"wallet_address": W2, "category": "politics", "window": "lifetime",
         "metric_2_omega_net": float("inf"), "metric_22_resolved_bets": 50},
        {"wallet_address": W2, "category": "politics", "window": "lifetime",
         "metric_2_omega_net": 1.0, "metric_22_resolved_bets": -3},
    ]  # fmt: skip
    metrics, rejected = parse_metrics(rows, source="test")
    assert [m.wallet_address for m in metrics] == [W1]
    assert len(rejected) == 2 and all(r.key.startswith(W2) for r in rejected)
