"""The indexer against the public-API emulator, ClickHouse and PostgreSQL, in real time.

1. One pass for 500 tracked wallets and the markets they touched, under the published rate limits
   (the emulator enforces them; the client's limiter must keep them): requests per route, the
   most requests in any 10 s window against the limit, the rate sustained while the route had
   work (from the emulator's own log), and 429s (must be 0).
2. Rows per second written to ClickHouse (trades, then positions) through the indexer's store.
3. Our own omega for 10,000 wallets x 100 resolved positions (the domain functions the indexer runs).
"""

from __future__ import annotations

import random
import secrets
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.pg_index_books import PgIndexBooks
from omegacopy.adapters.polymarket import PolymarketPublicData, RateLimiter
from omegacopy.adapters.schema import clickhouse_init, find_infra_dir, migrate
from omegacopy.app.index_run import IndexDeps, IndexSettings, run_index
from omegacopy.devstack.clickhouse import start_clickhouse
from omegacopy.devstack.postgres import start_postgres
from omegacopy.devstack.public_api import start_public_api, window_stats
from omegacopy.devstack.seed import StrategySeed, insert_strategies, insert_wallet
from omegacopy.domain.models import TradeAction
from omegacopy.domain.public_data import (
    MarketRecord,
    OutcomeToken,
    PositionStatus,
    PublicPosition,
    PublicTrade,
    Resolution,
)
from omegacopy.domain.wallet_metrics import resolved_positions, wallet_metrics

TRACKED = 500
OPEN_MARKETS = 100
RESOLVED_MARKETS = 40
OUTSIDE_VOTERS = 40
WINDOW_S = 10.0
CATEGORIES = ("politics", "sports", "crypto", "economics")


def _wallet(i: int) -> str:
    return f"0x{i:040x}"


def _publish(api: Any, rng: random.Random) -> None:
    now = int(time.time())
    open_ids: list[str] = []
    closed_ids: list[str] = []
    for i in range(OPEN_MARKETS + RESOLVED_MARKETS):
        cid = "0x" + secrets.token_hex(32)
        api.publish_market(cid, category=CATEGORIES[i % len(CATEGORIES)], volume_24h=i)
        (open_ids if i < OPEN_MARKETS else closed_ids).append(cid)
    for cid in closed_ids:
        api.resolve_market(cid, winner=rng.randrange(2), at=now - 86_400 * rng.randrange(1, 60))
    wallets = [_wallet(i + 1) for i in range(TRACKED + OUTSIDE_VOTERS)]
    for i, wallet in enumerate(wallets):
        if i < TRACKED:
            for _ in range(3):
                api.publish_trade(
                    wallet,
                    rng.choice(open_ids),
                    outcome_index=rng.randrange(2),
                    size=rng.randrange(5, 500),
                    price="0.5",
                    timestamp=now - rng.randrange(60, 86_400),
                )
        for cid in rng.sample(open_ids, 2):
            api.publish_position(wallet, cid, outcome_index=rng.randrange(2), size=rng.randrange(50, 5_000),
                                 avg_price="0.4")  # fmt: skip
        for cid in rng.sample(closed_ids, 4):
            api.publish_position(wallet, cid, outcome_index=rng.randrange(2), size=0, status="CLOSED",
                                 realized_pnl=rng.randrange(-100, 150), last_event_at=now - 86_400)  # fmt: skip


def _pass() -> list[tuple[str, float, str]]:
    rng = random.Random(11)
    pg = start_postgres()
    chs = start_clickhouse()
    try:
        infra = find_infra_dir()
        migrate(pg.url, infra / "postgres" / "migrations")
        chs.client().command("CREATE DATABASE IF NOT EXISTS bench")
        ch = chs.client(database="bench")
        clickhouse_init(ch, infra / "clickhouse")
        with psycopg.connect(pg.url, autocommit=True) as conn:
            insert_wallet(conn, "w-bench", _wallet(999_999))
            watched = [_wallet(i + 1) for i in range(TRACKED)]
            insert_strategies(conn, [StrategySeed(f"s{k}", "w-bench", watched[k::5]) for k in range(5)])
        with start_public_api() as api:  # the published limits, enforced over sliding windows
            _publish(api, rng)
            api.reset_log()
            client = PolymarketPublicData(data_api_url=api.data_url, gamma_api_url=api.gamma_url,
                                          limiter=RateLimiter())  # fmt: skip
            books = PgIndexBooks(pg.url)
            deps = IndexDeps(client, ClickHouseIndexStore(ch), books, SystemClock(), IndexSettings(workers=4))
            began = time.perf_counter()
            summary = run_index(deps, "bench")
            seconds = time.perf_counter() - began
            log = api.request_log
            client.close()
            books.close()
    finally:
        chs.stop()
        pg.stop()
    assert summary.status == "ok", summary.as_dict()
    served = window_stats(log, WINDOW_S, include=lambda r: r.status == 200)
    limits = {"data:/v2/trades": 200, "data:/v2/positions": 150, "data": 800}
    out = [
        ("indexer_pass_tracked_wallets", float(TRACKED), "wallets"),
        ("indexer_pass_seconds", seconds, "s"),
        ("indexer_pass_requests", float(len(log)), "requests"),
        ("indexer_pass_throttled_429", float(sum(1 for r in log if r.status == 429)), "replies"),
        ("indexer_pass_trades_written", float(summary.trades_written), "rows"),
        ("indexer_pass_metric_wallets", float(summary.metric_wallets), "wallets"),
    ]
    for key, limit in limits.items():
        stats = served.get(key)
        if stats is None:
            continue
        name = key.replace("data:/v2/", "").replace("data", "data_api_all")
        times = [r.at for r in log if r.status == 200 and key in (r.host, f"{r.host}:{r.path}")]
        out.append((f"indexer_{name}_max_in_any_10s", float(stats.max_in_window), f"requests (limit {limit})"))
        out.append((f"indexer_{name}_while_busy", 100.0 * _busy_rate(times) / limit, "% of limit"))
    return out


def _busy_rate(times: list[float]) -> float:
    """Requests per 10 s while the route had work: the mean over the whole 10 s windows that fit
    between its first and last request (a route busy for less than one window: 0)."""
    times = sorted(times)
    if not times:
        return 0.0
    counts, start = [], times[0]
    while start + WINDOW_S <= times[-1]:
        counts.append(sum(1 for t in times if start <= t < start + WINDOW_S))
        start += WINDOW_S
    return sum(counts) / len(counts) if counts else 0.0


def _writes() -> list[tuple[str, float, str]]:
    chs = start_clickhouse()
    try:
        chs.client().command("CREATE DATABASE IF NOT EXISTS bench")
        ch = chs.client(database="bench")
        clickhouse_init(ch, find_infra_dir() / "clickhouse")
        store = ClickHouseIndexStore(ch)
        now = datetime.now(UTC)
        trades = [
            PublicTrade(f"pm-{i:012d}", _wallet(i % 5_000), f"0x{i % 2_000:064x}", str(10**70 + i % 4_000), i % 2,
                        "Yes" if i % 2 == 0 else "No", TradeAction.BUY if i % 3 else TradeAction.SELL,
                        Decimal(10 + i % 90), Decimal("0.43"), now - timedelta(seconds=i), "0x" + "ab" * 32)
            for i in range(200_000)
        ]  # fmt: skip
        began = time.perf_counter()
        for k in range(0, len(trades), 20_000):
            store.write_trades(trades[k : k + 20_000], now)
        trade_rate = len(trades) / (time.perf_counter() - began)
        positions = [
            PublicPosition(_wallet(i % 5_000), f"0x{i % 2_000:064x}", str(10**70 + i), i % 2, PositionStatus.CLOSED,
                           Decimal(0), Decimal("0.4"), Decimal(100), Decimal(i % 50 - 20), Decimal(0), Decimal(0), now)
            for i in range(200_000)
        ]  # fmt: skip
        began = time.perf_counter()
        for k in range(0, len(positions), 20_000):
            store.write_positions(positions[k : k + 20_000], now)
        position_rate = len(positions) / (time.perf_counter() - began)
    finally:
        chs.stop()
    return [
        ("indexer_clickhouse_trade_rows_per_s", trade_rate, "rows/s"),
        ("indexer_clickhouse_position_rows_per_s", position_rate, "rows/s"),
    ]


def _omega() -> list[tuple[str, float, str]]:
    wallets, per_wallet = 10_000, 100
    now = datetime.now(UTC)
    markets: dict[str, MarketRecord] = {}
    for m in range(2_000):
        cid = f"0x{m:064x}"
        markets[cid] = MarketRecord(cid, "", CATEGORIES[m % 4], (OutcomeToken(0, "Yes", f"{m}0"),
                                    OutcomeToken(1, "No", f"{m}1")), False, None, True,
                                    Resolution((Decimal(1), Decimal(0)), now - timedelta(days=m % 120)))  # fmt: skip
    rng = random.Random(5)
    by_wallet: dict[str, list[PublicPosition]] = defaultdict(list)
    for w in range(wallets):
        wallet = _wallet(w)
        for k in rng.sample(range(2_000), per_wallet):
            cid = f"0x{k:064x}"
            by_wallet[wallet].append(
                PublicPosition(wallet, cid, f"{k}{w % 2}", w % 2, PositionStatus.CLOSED, Decimal(0), Decimal("0.4"),
                               Decimal(100), Decimal(rng.randrange(-50, 80)), Decimal(0), Decimal("0.1"), now)
            )  # fmt: skip
    began = time.perf_counter()
    rows = 0
    for wallet, positions in by_wallet.items():
        resolved = resolved_positions(positions, markets)
        rows += len(wallet_metrics(wallet, resolved, now=now))
    seconds = time.perf_counter() - began
    return [
        ("omega_10k_wallets_x_100_positions_s", seconds, "s"),
        ("omega_positions_per_s", wallets * per_wallet / seconds, "positions/s"),
        ("omega_metric_rows", float(rows), "rows"),
    ]


def run() -> list[tuple[str, float, str]]:
    return _omega() + _writes() + _pass()
