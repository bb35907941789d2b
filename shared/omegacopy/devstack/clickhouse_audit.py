"""Who wrote the local run's ClickHouse: every row carries its writer's write time, and each one
must fall inside one of the indexer's passes.

The indexer stamps every row it writes with its own clock (`trades_raw.ingested_at`,
`markets.updated_at`, …). The run notes each pass's start and end on the same clock, and nothing
else runs while a pass does, so a row stamped outside every pass was written by someone else, as is
any row of a table the indexer does not write (those must stay empty).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

# The write stamp of each table the indexer writes (the indexer's clock at the write).
WRITE_STAMPS = {
    "trades_raw": "ingested_at",
    "markets": "updated_at",
    "market_resolutions": "updated_at",
    "market_holders": "snapshot_at",
    "wallet_positions": "fetched_at",
    "wallet_metrics_by_category": "updated_at",
}


def table_rows(ch: Any) -> dict[str, int]:
    """Rows of every table of the client's database (all rows written and not yet merged away)."""
    names = [r[0] for r in ch.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name").result_rows]  # fmt: skip
    return {name: int(ch.query(f"SELECT count() FROM `{name}`").result_rows[0][0]) for name in names}


def rows_outside(ch: Any, windows: Sequence[tuple[datetime, datetime]]) -> dict[str, int]:
    """Per table: the rows whose write stamp lies outside every window (a table the indexer does not
    write: all its rows). Windows are widened to whole milliseconds, the stamps' precision."""
    starts = [math.floor(start.timestamp() * 1000) for start, _ in windows]
    ends = [math.ceil(end.timestamp() * 1000) for _, end in windows]
    out: dict[str, int] = {}
    for name, rows in table_rows(ch).items():
        column = WRITE_STAMPS.get(name)
        if column is None or not rows:
            out[name] = rows
            continue
        inside = f"(s, e) -> toUnixTimestamp64Milli(`{column}`) BETWEEN s AND e"
        outside = ch.query(
            f"SELECT count() FROM `{name}` WHERE NOT arrayExists({inside}, {{starts:Array(Int64)}},"
            " {ends:Array(Int64)})",
            parameters={"starts": starts, "ends": ends},
        ).result_rows[0][0]
        out[name] = int(outside)
    return out


__all__ = ["WRITE_STAMPS", "rows_outside", "table_rows"]
