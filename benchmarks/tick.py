"""Wallet-monitor tick at production scale on the real services.

≥ 5 M trades_raw rows, 5,000 watched wallets, 500 strategies, 1,000 new trades in the tick.
Prints the new-trade query, the batched OWRR pass, and the whole tick (cold OWRR cache).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from omegacopy.adapters.clickhouse_source import ClickHouseOwrrInputs, ClickHouseTradeSource
from omegacopy.adapters.fixed_tunables import FixedTunables
from omegacopy.adapters.pg_monitor_store import PgMonitorStore
from omegacopy.adapters.schema import clickhouse_init, find_infra_dir, migrate
from omegacopy.app.run_tick import MonitorSettings, TickDeps, run_tick
from omegacopy.devstack.clickhouse import start_clickhouse
from omegacopy.devstack.postgres import start_postgres
from omegacopy.devstack.seed import StrategySeed, insert_strategies, insert_wallet
from omegacopy.domain.models import Tunables
from omegacopy.observability import PowertoolsTelemetry
from omegacopy.ports import NullTelemetry, SendResult

HISTORY_ROWS = 5_000_000
ALL_WALLETS = 50_000
WATCHED = 5_000
STRATEGIES = 500
WALLETS_PER_STRATEGY = 50
MARKETS = 20_000
NEW_TRADES = 1_000
CATEGORIES = ["politics", "sports", "crypto", "economics", "culture"]


def wallet(i: int) -> str:
    return f"0x{i:040x}"


class _Queue:
    """SQS stand-in for the timing run (moto's queue is not a performance reference)."""

    def send(self, intents: Any) -> SendResult:
        return SendResult(sent=tuple(i.intent_id for i in intents), failed={})


class _Clock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic()


def _seed_clickhouse(ch: Any, now: datetime) -> None:
    base = int((now - timedelta(days=30)).timestamp())
    ch.command(
        f"""INSERT INTO markets (condition_id, category, question, yes_token_id, no_token_id, neg_risk, closed)
        SELECT concat('0xm', toString(number)), arrayElement({CATEGORIES}, (number % 5) + 1), '',
               toString(1000000 + number * 2), toString(1000001 + number * 2), 0, 0
        FROM numbers({MARKETS})"""
    )
    # History: wallets skewed so watched wallets (the first 5,000) trade more, as leaders do.
    ch.command(
        f"""INSERT INTO trades_raw (trade_id, wallet_address, market_id, token_id, side, action, shares, entry_price,
                                    usd_value, is_closed, block_time, ingested_at)
        SELECT concat('h', toString(number)),
               concat('0x', leftPad(lower(hex(
                   if(number % 3 = 0, number % {WATCHED}, number % {ALL_WALLETS}))), 40, '0')),
               concat('0xm', toString(m)), toString(1000000 + m * 2 + (number % 2)),
               if(number % 2 = 0, 'YES', 'NO'), if(number % 7 = 0, 'SELL', 'BUY'),
               10 + (number % 500), 0.05 + (number % 90) / 100, (10 + (number % 500)) * (0.05 + (number % 90) / 100),
               if(number % 11 = 0, 1, 0),
               toDateTime64({base} + intDiv(number, 2), 3, 'UTC'), toDateTime64({base} + intDiv(number, 2), 3, 'UTC')
        FROM (SELECT number, (number * 7919) % {MARKETS} AS m FROM numbers({HISTORY_ROWS}))"""
    )
    ch.command(
        f"""INSERT INTO wallet_metrics_by_category (wallet_address, category, `window`, metric_2_omega_net,
                                                   metric_22_resolved_bets)
        SELECT concat('0x', leftPad(lower(hex(intDiv(number, 5))), 40, '0')),
               arrayElement({CATEGORIES}, (number % 5) + 1),
               'lifetime', (number % 40) / 8, number % 60
        FROM numbers({ALL_WALLETS * 5})"""
    )


def _new_trades(ch: Any, now: datetime, rng: random.Random) -> None:
    rows = []
    hot_markets = rng.sample(range(MARKETS), 300)
    for i in range(NEW_TRADES):
        m = rng.choice(hot_markets)
        yes = rng.random() < 0.5
        price = round(rng.uniform(0.05, 0.95), 2)
        shares = float(rng.randint(20, 2000))
        at = now - timedelta(seconds=rng.randint(1, 25))
        rows.append([
            f"new-{i}", wallet(rng.randrange(WATCHED)), f"0xm{m}", str(1000000 + m * 2 + (0 if yes else 1)),
            "YES" if yes else "NO", "BUY" if rng.random() < 0.85 else "SELL", shares, price, shares * price, 0, at, at,
        ])  # fmt: skip
    from omegacopy.devstack.seed import insert_raw_trades

    insert_raw_trades(ch, rows)


def _seed_postgres(url: str, rng: random.Random) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        insert_wallet(conn, "w-bench", wallet(10**9))
        seeds = [
            StrategySeed(
                f"s{i:04d}",
                "w-bench",
                [wallet(w) for w in rng.sample(range(WATCHED), WALLETS_PER_STRATEGY)],
                categories=rng.sample(CATEGORIES, 3),
                balance_usd=Decimal("50000"),
                max_positions=1000,
                min_owrr_confidence=rng.choice(["low", "medium"]),
                owrr_threshold_yes=rng.choice([50, 55, 60]),
                owrr_threshold_no=rng.choice([40, 45, 50]),
            )
            for i in range(STRATEGIES)
        ]
        # every watched wallet is followed by at least one strategy
        seeds[0].watched = [wallet(w) for w in range(WATCHED)]
        insert_strategies(conn, seeds)


def run() -> list[tuple[str, float, str]]:
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    infra = find_infra_dir()
    with start_postgres() as pg, start_clickhouse() as chs:
        migrate(pg.url, infra / "postgres" / "migrations")
        ch = chs.client()
        clickhouse_init(ch, infra / "clickhouse")
        t0 = time.perf_counter()
        _seed_clickhouse(ch, now)
        seed_s = time.perf_counter() - t0
        _seed_postgres(pg.url, rng)
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO monitor_cursor (source, watermark) VALUES ('clickhouse', %s)",
                (now - timedelta(seconds=30),),
            )
        _new_trades(ch, now, rng)

        source = ClickHouseTradeSource(ch)
        owrr_inputs = ClickHouseOwrrInputs(ch)
        deps = TickDeps(
            store=PgMonitorStore(pg.url, statement_timeout_ms=30_000),
            source=source,
            owrr_inputs=owrr_inputs,
            queue=_Queue(),
            tunables=FixedTunables(Tunables(kill_switch=False, staleness_limit_s=3600)),
            clock=_Clock(now),
            telemetry=PowertoolsTelemetry(),
            settings=MonitorSettings(overlap_s=120),
        )
        watched = [wallet(w) for w in range(WATCHED)]
        since = now - timedelta(seconds=150)

        t0 = time.perf_counter()
        summary = run_tick(deps, "bench-tick")
        tick_ms = (time.perf_counter() - t0) * 1000
        # the touched markets, as the tick computed them
        batch = source.fetch_new_trades(watched, since)
        markets = {t.condition_id: t.category or "" for t in batch.trades if t.action.value == "BUY"}

        query_ms = _median_ms(lambda: source.fetch_new_trades(watched, since), 7)
        owrr_ms = _median_ms(lambda: owrr_inputs.load(markets), 5)
        from omegacopy.domain.owrr import compute_owrr

        loaded = owrr_inputs.load(markets)
        compute_ms = _median_ms(
            lambda: [compute_owrr(markets[c], loaded[c].positions, loaded[c].metrics) for c in markets], 5
        )
        rows = ch.query("SELECT count() FROM trades_raw").result_rows[0][0]

    return [
        ("tick_trades_raw_rows", float(rows), "rows"),
        ("tick_seed_clickhouse_s", seed_s, "s"),
        ("tick_new_trades", float(summary.trades_seen), "trades"),
        ("tick_signals_written", float(summary.signals_written), "signals"),
        ("tick_intents_created", float(summary.intents_created), "intents"),
        ("tick_owrr_markets", float(len(markets)), "markets"),
        ("new_trade_query_ms", query_ms, "ms"),
        ("owrr_batch_query_ms", owrr_ms, "ms"),
        ("owrr_batch_compute_ms", compute_ms, "ms"),
        ("owrr_batch_total_ms", owrr_ms + compute_ms, "ms"),
        ("tick_total_ms", tick_ms, "ms"),
        *run_copies(),
    ]


def _median_ms(fn: Any, n: int) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


# --- one strategy copying thousands of trades in one tick ----------------------------------------
COPY_RUNS = (1_000, 10_000)  # the ratio of their times shows the growth: ~10x when linear
VOTERS = [(f"0x{'5' if side == 'YES' else '6'}{i:039x}", side) for side in ("YES", "NO") for i in range(3)]


_COPY_TUNABLES = Tunables(kill_switch=False, staleness_limit_s=3600, max_open_positions_per_strategy=10_000,
                          max_total_exposure_usd=Decimal("10000000"))  # fmt: skip


# named, so columns the indexer adds (outcome, tx hash) keep their defaults
_TRADE_COLUMNS = (
    "(trade_id, wallet_address, market_id, token_id, side, action, shares, entry_price, usd_value, is_closed,"
    " block_time, ingested_at)"
)


def _seed_copy_markets(ch: Any, first: int, count: int, now: datetime) -> None:
    """`count` politics markets, each with three qualified voters on either side (so OWRR is
    computed, not neutral) leaning YES."""
    ch.command(
        f"""INSERT INTO markets (condition_id, category, question, yes_token_id, no_token_id, neg_risk, closed)
        SELECT concat('0xc', toString(number)), 'politics', '', toString(5000000 + number * 2),
               toString(5000001 + number * 2), 0, 0
        FROM numbers({first}, {count})"""
    )
    at = int((now - timedelta(days=2)).timestamp())
    for wallet, side in VOTERS:
        offset, shares = (0, 1000) if side == "YES" else (1, 100)
        ch.command(
            f"""INSERT INTO trades_raw {_TRADE_COLUMNS} SELECT concat('v-{wallet[-4:]}-', toString(number)), '{wallet}',
                   concat('0xc', toString(number)), toString(5000000 + number * 2 + {offset}), '{side}', 'BUY',
                   {shares}, 0.5, {shares} * 0.5, 0, toDateTime64({at}, 3, 'UTC'), toDateTime64({at}, 3, 'UTC')
            FROM numbers({first}, {count})"""
        )
    ch.insert(
        "wallet_metrics_by_category",
        [[w, "politics", "lifetime", 2.0, 50] for w, _ in VOTERS],
        column_names=["wallet_address", "category", "window", "metric_2_omega_net", "metric_22_resolved_bets"],
    )


def _copy_trades(ch: Any, leader: str, first: int, count: int, now: datetime) -> None:
    at = int((now - timedelta(seconds=10)).timestamp())
    ch.command(
        f"""INSERT INTO trades_raw {_TRADE_COLUMNS} SELECT concat('{leader[-6:]}-', toString(number)), '{leader}',
               concat('0xc', toString(number)), toString(5000000 + number * 2), 'YES', 'BUY', 100, 0.5, 50, 0,
               toDateTime64({at}, 3, 'UTC'), toDateTime64({at}, 3, 'UTC')
        FROM numbers({first}, {count})"""
    )


def run_copies(runs: tuple[int, ...] = COPY_RUNS) -> list[tuple[str, float, str]]:
    """One tick in which one strategy COPYs n trades, for each n of `runs` (separate strategies
    and markets in one stack)."""
    now = datetime.now(UTC).replace(microsecond=0)
    infra = find_infra_dir()
    out: list[tuple[str, float, str]] = []
    with start_postgres() as pg, start_clickhouse() as chs:
        migrate(pg.url, infra / "postgres" / "migrations")
        ch = chs.client()
        clickhouse_init(ch, infra / "clickhouse")
        with psycopg.connect(pg.url, autocommit=True) as conn:
            insert_wallet(conn, "w-copies", wallet(10**9 + 1))
        first = 0
        for n in runs:
            leader = wallet(2 * 10**9 + n)
            _seed_copy_markets(ch, first, n, now)
            with psycopg.connect(pg.url, autocommit=True) as conn:
                conn.execute("UPDATE strategies SET auto_execute_enabled = false")  # only this run's strategy
                conn.execute("DELETE FROM monitor_cursor")
                insert_strategies(conn, [StrategySeed(
                    f"copies-{n}", "w-copies", [leader], categories=["politics"], balance_usd=Decimal("10000000"),
                    max_positions=100_000, max_position_size_usd=Decimal("100"), sizing_mode="fixed",
                    fixed_size_usd=Decimal("10"), owrr_threshold_yes=0, owrr_threshold_no=0, min_owrr_confidence="low",
                )])  # fmt: skip
            _copy_trades(ch, leader, first, n, now)
            deps = TickDeps(
                store=PgMonitorStore(pg.url, statement_timeout_ms=120_000),
                source=ClickHouseTradeSource(ch, clock=_Clock(now)),
                owrr_inputs=ClickHouseOwrrInputs(ch, clock=_Clock(now)),
                queue=_Queue(),
                tunables=FixedTunables(_COPY_TUNABLES),
                clock=_Clock(now),
                telemetry=NullTelemetry(),
                settings=MonitorSettings(outbox_batch_limit=10_000),
            )
            t0 = time.perf_counter()
            summary = run_tick(deps, f"copies-{n}")
            elapsed = time.perf_counter() - t0
            if summary.copies != n:
                raise RuntimeError(f"expected {n} COPYs in one tick, got {summary.copies}: {summary.skip_reasons}")
            out.append((f"tick_{n}_copies_s", elapsed, "s"))
            first += n
    out.append(("tick_copies_growth_10x_ratio", out[-1][1] / out[0][1], "x"))
    return out
