"""Leaders' track records read from ClickHouse (chDB over HTTP), as Kelly sizing asks for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from omegacopy.adapters.clickhouse_track_records import ClickHouseTrackRecords
from omegacopy.domain.kelly import TrackRecord

L1, L2, L3 = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20
TWIN = "0x" + "a1" * 8 + "ff" * 12  # the same first 8 bytes as L1: one wallet key, another wallet
COLUMNS = ["wallet_address", "category", "window", "metric_22_resolved_bets", "wins", "losing_bets", "gains_usd",
           "losses_usd", "updated_at"]  # fmt: skip
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def insert(ch: Any, *rows: tuple[Any, ...]) -> None:
    ch.insert("wallet_metrics_by_category", [list(r) for r in rows], column_names=COLUMNS)


def test_one_read_returns_the_newest_lifetime_record_of_each_pair_asked(ch: Any) -> None:
    insert(
        ch,
        (L1, "politics", "lifetime", 40, 24, 16, 2400.0, 1600.0, T0),
        (L1, "politics", "lifetime", 50, 30, 20, 3000.5, 2000.25, T0 + timedelta(hours=1)),  # newer
        (L1, "politics", "30d", 5, 5, 0, 500.0, 0.0, T0 + timedelta(hours=2)),  # another window
        (L1, "Sports", "lifetime", 30, 10, 20, 1000.0, 2000.0, T0),  # stored in another case
        (L1, "crypto", "lifetime", 30, 10, 20, 1000.0, 2000.0, T0),  # not asked for
        (TWIN, "politics", "lifetime", 99, 90, 9, 9000.0, 900.0, T0),  # not asked for
        (L2, "politics", "lifetime", 20, 12, 8, 1200.0, 800.0, T0),
        (L3.upper().replace("0X", "0x"), "politics", "lifetime", 20, 12, 8, 1200.0, 800.0, T0),  # not as written
    )

    batch = ClickHouseTrackRecords(ch).load(
        [
            (L1, "politics"),
            (L1, "SPORTS"),
            (L2.upper().replace("0X", "0x"), "politics"),
            (L2, "sports"),
            (L3, "politics"),
        ]
    )

    assert batch.rejected == ()
    assert batch.records == {
        (L1, "politics"): TrackRecord(L1, "politics", 50, 30, 20, Decimal("3000.5"), Decimal("2000.25")),
        (L1, "sports"): TrackRecord(L1, "sports", 30, 10, 20, Decimal("1000.0"), Decimal("2000.0")),
        (L2, "politics"): TrackRecord(L2, "politics", 20, 12, 8, Decimal("1200.0"), Decimal("800.0")),
    }  # L3's row is stored in mixed case, which the indexer never writes: no record, so no Kelly size


def test_a_bad_row_is_rejected_with_its_reason_and_leaves_no_record(ch: Any) -> None:
    insert(
        ch,
        (L1, "politics", "lifetime", 40, 24, 16, 2400.0, 1600.0, T0),
        (L1, "politics", "lifetime", 10, 12, 0, 1200.0, 0.0, T0 + timedelta(hours=1)),  # newer, self-contradicting
        (L2, "politics", "lifetime", None, 0, 0, 0.0, 0.0, T0),  # a producer that does not count bets
    )

    batch = ClickHouseTrackRecords(ch).load([(L1, "politics"), (L2, "politics")])

    assert batch.records == {}
    reasons = sorted(r.reason for r in batch.rejected)
    assert len(reasons) == 2
    assert "wins + losing_bets exceed resolved_bets" in reasons[0] and reasons[1].startswith("resolved_bets:")
    assert all(r.source == "clickhouse.wallet_metrics_by_category" for r in batch.rejected)


def test_nothing_asked_is_no_query(ch: Any) -> None:
    class Refuses:
        def query(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("no query for no keys")

    assert ClickHouseTrackRecords(Refuses()).load([]).records == {}
