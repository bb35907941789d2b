"""Leaders' lifetime track records per category from ClickHouse (`wallet_metrics_by_category`),
for Kelly sizing: one query per tick for every (leader, category) a Kelly-sized strategy needs.

Wallets travel as lower-case text and are matched on the table's primary key (wallet first): at
1,000 pairs of 250,000 rows that is ~10x faster than the UInt64 key the OWRR read uses, which no
index serves. The indexer writes addresses lower-case; a row another producer wrote in mixed case
is not found, and its leader is skipped (`no_track_record`), never sized from a guess. Categories
are compared lower-case (a market's may be any case).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omegacopy.adapters.clickhouse_source import TableNames
from omegacopy.adapters.track_record_rows import parse_track_records
from omegacopy.domain.owrr import LIFETIME_WINDOW
from omegacopy.ports import TrackRecordBatch

_RECORDS = """
SELECT wallet_address, category, metric_22_resolved_bets AS resolved_bets, wins, losing_bets,
       gains_usd, losses_usd
FROM {metrics}
WHERE wallet_address IN {{wallets:Array(String)}} AND lower(category) IN {{categories:Array(String)}}
  AND `window` = {{window:String}}
ORDER BY updated_at
"""


class ClickHouseTrackRecords:
    def __init__(self, client: Any, tables: TableNames | None = None) -> None:
        self._client = client
        metrics = (tables or TableNames()).metrics
        self._sql = _RECORDS.format(metrics=metrics)
        self._source = f"clickhouse.{metrics}"

    def load(self, keys: Sequence[tuple[str, str]]) -> TrackRecordBatch:
        wanted = {(w.lower(), c.lower()) for w, c in keys}
        if not wanted:
            return TrackRecordBatch({})
        rows = self._client.query(
            self._sql,
            parameters={
                "wallets": sorted({w for w, _ in wanted}),
                "categories": sorted({c for _, c in wanted}),
                "window": LIFETIME_WINDOW,
            },
        ).named_results()
        # another wanted wallet's category brings rows nobody asked for
        asked = [r for r in rows if _key(r) in wanted]
        records, rejected = parse_track_records(asked, source=self._source)
        return TrackRecordBatch(records, tuple(rejected))


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return str(row.get("wallet_address") or "").lower(), str(row.get("category") or "").lower()
