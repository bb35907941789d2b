"""Strategy modes: the decision per mode (pure, one core) and the tick's one batched track-record
read for Kelly sizing on the real ClickHouse (chDB behind its HTTP interface).

Decisions: 20,000 entries per mode (owrr_scaled with the gate, consensus off with fixed sizing,
Kelly with the gate off), best of three passes. Track records: 250,000 lifetime rows (50,000
wallets x 5 categories, the tick benchmark's scale), 1,000 (leader, category) pairs read in one
query, median of five reads.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omegacopy.adapters.clickhouse_track_records import ClickHouseTrackRecords
from omegacopy.adapters.schema import clickhouse_init, find_infra_dir
from omegacopy.devstack.clickhouse import start_clickhouse
from omegacopy.domain.decisions import decide_entry
from omegacopy.domain.kelly import TrackRecord
from omegacopy.domain.models import (
    Confidence,
    ConsensusMode,
    LeaderTrade,
    Outcome,
    PortfolioState,
    SizingMode,
    StrategyConfig,
    TradeAction,
    Tunables,
)
from omegacopy.domain.owrr import js_round, neutral_owrr

DECISIONS = 20_000
PASSES = 3
WALLETS = 50_000
CATEGORIES = ["politics", "sports", "crypto", "economics", "culture"]
PAIRS = 1_000
READS = 5


def _decisions_us(strategy: StrategyConfig) -> float:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    rng = random.Random(7)
    at = now - timedelta(seconds=5)
    trades = [
        LeaderTrade(
            f"t{i}", "0x" + "a1" * 20, f"0xm{i % 300}", str(1000 + i % 600), Outcome.YES, TradeAction.BUY,
            Decimal(rng.randint(20, 2000)), Decimal("0.55"), Decimal("110"), at, "politics", False,
        )
        for i in range(DECISIONS)
    ]  # fmt: skip
    owrr = replace(neutral_owrr("politics"), owrr=0.72, slider=js_round(72.0), confidence=Confidence.HIGH)
    record = TrackRecord("0x" + "a1" * 20, "politics", 40, 24, 16, Decimal("2400"), Decimal("1600"))
    portfolio = PortfolioState(balance_usd=Decimal("10000"))
    tunables = Tunables(kill_switch=False)
    assert decide_entry(trades[0], strategy, owrr, portfolio, tunables, now, track_record=record).intent, "a COPY"
    best = float("inf")
    for _ in range(PASSES):
        started = time.perf_counter()
        for trade in trades:
            decide_entry(trade, strategy, owrr, portfolio, tunables, now, track_record=record)
        best = min(best, time.perf_counter() - started)
    return best / DECISIONS * 1e6


def _track_record_read_ms() -> float:
    with start_clickhouse() as server:
        ch = server.client()
        clickhouse_init(ch, find_infra_dir() / "clickhouse")
        ch.command(
            f"""INSERT INTO wallet_metrics_by_category (wallet_address, category, `window`, metric_2_omega_net,
                    metric_22_resolved_bets, wins, losing_bets, gains_usd, losses_usd)
            SELECT concat('0x', leftPad(lower(hex(intDiv(number, 5))), 40, '0')),
                   arrayElement({CATEGORIES}, (number % 5) + 1), 'lifetime', 1.5, 40, 24, 16, 2400, 1600
            FROM numbers({WALLETS * 5})"""
        )
        rng = random.Random(7)
        pairs = [(f"0x{rng.randrange(WALLETS):040x}", rng.choice(CATEGORIES)) for _ in range(PAIRS)]
        source = ClickHouseTrackRecords(ch)
        times = []
        for _ in range(READS):
            started = time.perf_counter()
            batch = source.load(pairs)
            times.append(time.perf_counter() - started)
        assert len(batch.records) == len(set(pairs)), "every pair asked has its record"
        return statistics.median(times) * 1000


def run() -> list[tuple[str, float, str]]:
    base = StrategyConfig("s", "s", "w", Decimal("10000"), Decimal("1000"), 100, Decimal("5"), frozenset({"politics"}))
    return [
        ("decide_entry_owrr_scaled", _decisions_us(base), "us"),
        ("decide_entry_consensus_off_fixed", _decisions_us(replace(
            base, consensus=ConsensusMode.OFF, sizing_mode=SizingMode.FIXED, fixed_size_usd=Decimal("50"))), "us"),
        ("decide_entry_kelly", _decisions_us(replace(
            base, consensus=ConsensusMode.OFF, sizing_mode=SizingMode.KELLY, kelly_fraction=Decimal("0.25"))), "us"),
        ("kelly_track_records_1000_pairs_of_250k_rows", _track_record_read_ms(), "ms"),
    ]  # fmt: skip
