"""What a local run records as it goes: the follower wallet it imported, each tick, each indexer
pass. Plain records, read by the run (`local_run`) and by its summary (`run_summary`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FollowerWallet:
    wallet_id: str
    address: str
    credentials_ref: str
    import_s: float


@dataclass
class TickRecord:
    tick: int  # 1-based, as printed
    tick_id: str = ""
    event: dict[str, Any] = field(default_factory=dict)
    published: int = 0  # leader fills that appeared on the Data API in the gap before the tick
    index_pass: int | None = None  # the indexer pass that ran in that gap
    status: str = ""
    error: str | None = None
    trades_seen: int = 0
    invalid_rows: int = 0
    copies: int = 0
    skips: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    intents_created: int = 0
    executor_batches: int = 0
    messages: int = 0
    message_failures: int = 0
    orders_posted: int = 0
    intent_states: dict[str, int] = field(default_factory=dict)
    reconciler: dict[str, Any] = field(default_factory=dict)
    monitor_ms: float = 0.0
    executor_ms: float = 0.0
    reconciler_ms: float = 0.0
    tick_ms: float = 0.0
    waited_s: float = 0.0


@dataclass
class IndexPass:
    """One invocation of the indexer handler: what it asked the public APIs and wrote to ClickHouse."""

    number: int  # 1-based
    before_tick: int  # 1-based: the pass ran in the gap before this tick
    began_at: datetime
    ended_at: datetime
    duration_ms: float
    run_id: str = ""
    status: str = ""
    error: str | None = None
    requests: dict[str, int] = field(default_factory=dict)  # "host path" -> requests the emulator answered
    throttled: int = 0  # 429s the emulator answered
    client: dict[str, int] = field(default_factory=dict)  # the client's own counts (requests, 429s, retries, errors)
    written: dict[str, int] = field(default_factory=dict)  # table -> rows written
    rejected_rows: int = 0
    lag_s: float | None = None
    newest_trade_age_s: float | None = None
    metric_staleness_s: float | None = None

    @property
    def request_count(self) -> int:
        return sum(self.requests.values())
