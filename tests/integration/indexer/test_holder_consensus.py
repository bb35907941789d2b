"""Live OWRR reads the indexer's holder snapshots: every row validated on its own, like any consensus
row — a bad row costs one vote in one market, never the tick and never another market."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from omegacopy.adapters.clickhouse_source import ClickHouseOwrrInputs
from omegacopy.devstack.seed import MarketSeed, insert_holders, insert_metrics
from omegacopy.domain.owrr import compute_owrr

NOW = datetime.now(UTC)
A = MarketSeed("0x" + "0a" * 32, "politics", "101", "102")
B = MarketSeed("0x" + "0b" * 32, "politics", "201", "202")


def _voters(market: MarketSeed, prefix: str, *, yes: int = 4, no: int = 4) -> list[tuple[str, str, float, float]]:
    rows = [(f"0x{prefix}{i:038x}", "YES", 1000.0, 0.6) for i in range(yes)]
    rows += [(f"0x{prefix}{i + 50:038x}", "NO", 200.0, 0.4) for i in range(no)]
    return rows


def _metrics(rows: list[tuple[str, str, float, float]]) -> list[tuple[str, str, str, float | None, int | None]]:
    return [(w.lower(), "politics", "lifetime", 2.0, 40) for w, _, _, _ in rows]


def test_the_newest_snapshot_is_what_votes(ch: Any) -> None:
    old = _voters(A, "aa", yes=1, no=6)
    new = _voters(A, "bb")
    insert_holders(ch, A, old, at=NOW - timedelta(minutes=20))
    insert_holders(ch, A, new, at=NOW - timedelta(minutes=1))
    insert_metrics(ch, _metrics(old) + _metrics(new))
    inputs = ClickHouseOwrrInputs(ch, positions_from="holders").load({A.condition_id: "politics"})[A.condition_id]
    assert {p.wallet_address for p in inputs.positions} == {w for w, *_ in new}
    result = compute_owrr("politics", inputs.positions, inputs.metrics)
    assert (result.yes_qualified, result.no_qualified) == (4, 4)


def test_hostile_holder_rows_lose_their_vote_and_spare_the_other_market(ch: Any) -> None:
    good_a, good_b = _voters(A, "cc"), _voters(B, "dd")
    hostile = [
        ("0x" + "e1" * 20, "YES", 1000.0, 7.0),  # a price no share can have
        ("0x" + "e2" * 20, "YES", float("nan"), 0.5),
        ("0x" + "e3" * 20, "maybe", 100.0, 0.5),  # an unknown side
        ("0x" + "E4" * 20, "yes", 1000.0, 0.6),  # lower-case side, mixed-case address: a valid vote
    ]
    insert_holders(ch, A, good_a + hostile, at=NOW)
    insert_holders(ch, B, good_b, at=NOW)
    insert_metrics(ch, _metrics(good_a) + _metrics(good_b) + _metrics(hostile))

    loaded = ClickHouseOwrrInputs(ch, positions_from="holders").load(
        {A.condition_id: "politics", B.condition_id: "politics"}
    )

    a = loaded[A.condition_id]
    voters = {p.wallet_address for p in a.positions}
    assert "0x" + "e4" * 20 in voters and not voters & {"0x" + "e1" * 20, "0x" + "e2" * 20, "0x" + "e3" * 20}
    assert len(a.rejected) == 3
    assert compute_owrr("politics", a.positions, a.metrics).yes_qualified == 5
    b = loaded[B.condition_id]
    assert b.rejected == () and compute_owrr("politics", b.positions, b.metrics).no_qualified == 4
