"""The backtest on real PostgreSQL + ClickHouse: exact P&L by hand, determinism, shadow P&L, CLI."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import clickhouse_connect
import psycopg
import pytest

from omegacopy.adapters.clickhouse_backtest import ClickHouseBacktest
from omegacopy.adapters.pg_monitor_store import PgMonitorSession
from omegacopy.adapters.replay_memory import MemoryReplayPorts
from omegacopy.app.backtest import BacktestConfig, BacktestResult, StrategyResult, run_backtest
from omegacopy.app.backtest_report import backtest_report
from omegacopy.cli import main
from omegacopy.devstack.seed import TradeSeed, insert_trades
from omegacopy.domain.backtest import FillParams, SimFill
from omegacopy.reporting.html_report import render_report
from tests.integration.backtest.conftest import END, LEADER_TRADES, T0, BacktestWorld, at

D = Decimal


def _replay(world: BacktestWorld, **fill: Any) -> BacktestResult:
    with psycopg.connect(world.pg_url, autocommit=True) as conn:
        strategies = PgMonitorSession(conn).load_strategies()
    history = ClickHouseBacktest(clickhouse_connect.get_client(dsn=world.ch_url))
    config = BacktestConfig(start=T0, end=END, fill=FillParams(**fill))
    return run_backtest(strategies, history, history, config, ports=MemoryReplayPorts())


def _strategy(result: BacktestResult, sid: str) -> StrategyResult:
    return next(s for s in result.strategies if s.strategy_id == sid)


def test_replay_gives_the_hand_computed_pnl(bt_world: BacktestWorld) -> None:
    result = _replay(bt_world)

    assert result.ticks == 40
    assert result.trades_seen == 4  # t1–t4: not t0 (before the window) nor t5 (after it)
    assert [s.strategy_id for s in result.strategies] == ["s-fixed", "s-strict"]  # s-off is disabled
    fixed = _strategy(result, "s-fixed")
    decisions = {(p.strategy_id, p.reason_code) for p in result.signals if p.strategy_id == "s-fixed"}
    assert decisions == {("s-fixed", "copy"), ("s-fixed", "category_not_tracked"), ("s-fixed", "copy_exit")}
    assert (fixed.signals, fixed.copies, fixed.skips) == (4, 3, {"category_not_tracked": 1})

    # t1 seen at the T0+30 tick: $100 at worst 0.48 + 0.02 = 0.50 → 200 shares; placed at T0+60 with no
    #    book: 0.48 + 0.01 slippage = 0.49 → 200 × 0.49 = $98.00.
    # t3 seen at T0+210 (B is closed today, but its row was written after the tick): $100 at worst 0.80 →
    #    125 shares, filled at 0.79 at T0+240 → $98.75.
    # t4 seen at T0+300: the leader sold all 200 of 200 → sell all 200, worst 0.58, filled at 0.59 at
    #    T0+330 → $118.00; realized 118 − 98 = +20.00.
    # B resolves NO at T0+900: 125 YES shares pay $0 → resolution −98.75. Nothing open at the end.
    orders = [o for o in result.orders if o.strategy_id == "s-fixed"]
    assert [(o.source_trade_id, o.action, o.fill.status, o.fill.shares, o.fill.notional) for o in orders] == [
        ("t1", "BUY", "filled", D("200.00"), D("98.0000")),
        ("t3", "BUY", "filled", D("125.00"), D("98.7500")),
        ("t4", "SELL", "filled", D("200.00"), D("118.0000")),
    ]
    assert [o.placed_at for o in orders] == [at(60), at(240), at(330)]
    assert [o.latency_s for o in orders] == [50.0, 40.0, 30.0]  # leader trade → order placed
    book = fixed.book
    assert (book.orders, book.filled, book.rejected, book.fill_rate) == (3, 3, 0, D(1))
    assert book.bought_usd == D("196.75")
    assert book.realized == D("20.00")
    assert book.resolution == D("-98.75")
    assert book.unrealized == D("0")
    assert book.total == D("-78.75")
    # equity at the last traded price: 10,000 → 9,998.00 (A bought, marked 0.48) → 9,996.75 (B bought,
    # marked 0.78) → 10,020.75 (A trades at 0.60) → 10,018.75 (A sold at 0.59) → 9,921.25 (B pays 0):
    # the largest fall from a peak is 10,020.75 − 9,921.25 = 99.50
    assert book.max_drawdown_usd == D("99.50")
    assert [v for _, v in book.curve] == [D("0"), D("-2.00"), D("-3.25"), D("20.75"), D("18.75"), D("-78.75")]

    # The leaders copied blindly at their own size, same fill model: A 200 @ 0.49 = 98 → sold 118 (+20);
    # C 100 @ 0.39 = 39 → pays 100 (+61); B 100 @ 0.79 = 79 → pays 0 (−79). +2.00 on $216 bought.
    leaders = fixed.leaders_book
    assert (leaders.orders, leaders.bought_usd) == (4, D("216.00"))
    assert (leaders.realized, leaders.resolution, leaders.total) == (D("20.00"), D("-18.00"), D("2.00"))
    assert leaders.return_pct is not None and leaders.return_pct.quantize(D("0.0001")) == D("0.9259")


def test_shadow_pnl_of_a_skip_reason_matches_the_hand_computation(bt_world: BacktestWorld) -> None:
    result = _replay(bt_world)

    fixed = {x.reason_code: x for x in _strategy(result, "s-fixed").shadows}
    # t2 skipped (sports): copied anyway at the leader's $38 (under the $1,000 cap), worst 0.40 → 95 shares,
    # filled at 0.39 → $37.05; C resolves YES: 95 × $1 − 37.05 = +57.95 — a gain the filter gave up.
    cat = fixed["category_not_tracked"]
    assert (cat.signals, cat.book.orders, cat.book.filled) == (1, 1, 1)
    assert cat.size_rule == "leader notional capped at max position"
    assert (cat.book.bought_usd, cat.book.resolution, cat.book.total) == (D("37.05"), D("57.95"), D("57.95"))

    strict = _strategy(result, "s-strict")
    assert strict.book.orders == 0 and strict.book.total == 0
    assert strict.skips == {"category_not_tracked": 1, "no_position": 1, "owrr_below_threshold": 2}
    owrr = {x.reason_code: x for x in strict.shadows}["owrr_below_threshold"]
    # t1: $96 at worst 0.50 → 192 shares @ 0.49 = 94.08; t4 (the leader sold everything) sells the 192 @ 0.59
    #     = 113.28 → +19.20.
    # t3: $78 at worst 0.80 → 97.50 shares @ 0.79 = 77.025; B resolves NO → −77.025.
    # Shadow P&L 19.20 − 77.025 = −57.825: the OWRR filter avoided that loss.
    assert (owrr.signals, owrr.book.orders, owrr.book.filled) == (2, 3, 3)
    assert owrr.book.bought_usd == D("171.105")
    assert (owrr.book.realized, owrr.book.resolution) == (D("19.20"), D("-77.025"))
    assert owrr.book.total == D("-57.825")


def test_replaying_the_same_period_twice_gives_identical_numbers(bt_world: BacktestWorld) -> None:
    first, second = _replay(bt_world), _replay(bt_world)

    assert first.to_dict() == second.to_dict()
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(second.to_dict(), sort_keys=True)


def test_a_replay_publishes_no_metric_and_logs_no_line(bt_world: BacktestWorld, capsys: Any, caplog: Any) -> None:
    from omegacopy.observability import metrics

    metrics.clear_metrics()
    capsys.readouterr()
    caplog.clear()

    result = _replay(bt_world)

    assert result.ticks > 0 and result.trades_seen > 0  # the replay did run ticks that decided trades
    assert metrics.metric_set == {}
    assert capsys.readouterr().out == "" and caplog.records == []


def test_a_longer_latency_places_every_order_later(bt_world: BacktestWorld) -> None:
    with psycopg.connect(bt_world.pg_url, autocommit=True) as conn:
        strategies = PgMonitorSession(conn).load_strategies()
    history = ClickHouseBacktest(clickhouse_connect.get_client(dsn=bt_world.ch_url))
    result = run_backtest(
        strategies, history, history, BacktestConfig(start=T0, end=END, latency_s=60), ports=MemoryReplayPorts()
    )

    orders = [o for o in result.orders if o.strategy_id == "s-fixed"]
    # the tick after each copy sees the entry still pending (cash reserved, nothing to sell yet)
    assert [o.placed_at for o in orders] == [at(90), at(270), at(360)]
    assert [o.latency_s for o in orders] == [80.0, 70.0, 60.0]
    assert _strategy(result, "s-fixed").book.total == D("-78.75")


def test_fees_and_slippage_move_the_pnl_as_computed(bt_world: BacktestWorld) -> None:
    # 100 bps of notional; slippage 0.02: A fills at 0.50 (the worst price itself) and sells at 0.58;
    # B at 0.80 (worst 0.80) → 125 shares.
    result = _replay(bt_world, slippage=D("0.02"), fee_bps=D("100"))
    book = _strategy(result, "s-fixed").book
    # A: 200 @ 0.50 = 100.00 + 1.00 fee; sold 200 @ 0.58 = 116.00 − 1.16 fee → realized 114.84 − 101 = 13.84
    # B: 125 @ 0.80 = 100.00 + 1.00 fee → resolution −101.00
    assert book.fees == D("3.16")
    assert (book.realized, book.resolution, book.total) == (D("13.84"), D("-101.00"), D("-87.16"))


def test_an_order_that_would_cross_its_worst_price_does_not_fill(bt_world: BacktestWorld) -> None:
    # slippage 0.03 > the strategy's 0.02 ceiling: every copy would cross its worst price
    result = _replay(bt_world, slippage=D("0.03"))
    fixed = _strategy(result, "s-fixed")
    assert fixed.book.orders == 2  # no position was bought, so the exit intent was never created
    assert fixed.rejections == {"crosses_worst_price": 2}
    assert fixed.book.total == 0 and fixed.book.fill_rate == 0


def test_a_book_snapshot_is_walked_up_to_the_worst_price(bt_world: BacktestWorld) -> None:
    # B's YES book at T0+235: 50 @ 0.79, 50 @ 0.80, 100 @ 0.81. The $100 order (125 shares, limit 0.80)
    # takes 50 @ 0.79 and 50 @ 0.80 and stops at 0.81: a partial fill of 100 shares for $79.50.
    bt_world.ch.insert(
        "book_snapshots",
        [
            ["1201", at(235), "ASK", 0.79, 50.0],
            ["1201", at(235), "ASK", 0.80, 50.0],
            ["1201", at(235), "ASK", 0.81, 100.0],
            ["1201", at(235), "BID", 0.77, 500.0],
        ],
        column_names=["token_id", "ts", "side", "price", "size"],
    )
    result = _replay(bt_world)
    order = next(o for o in result.orders if o.strategy_id == "s-fixed" and o.source_trade_id == "t3")
    assert order.fill == SimFill("partial", D("100.00"), D("79.50"), D("0"), from_book=True)
    book = _strategy(result, "s-fixed").book
    assert book.resolution == D("-79.50")
    assert book.total == D("20.00") - D("79.50")


def test_the_cli_writes_the_report_and_the_json(bt_world: BacktestWorld, tmp_path: Path, capsys: Any) -> None:
    out, js = tmp_path / "bt.html", tmp_path / "bt.json"
    argv = ["backtest", "--from", T0.isoformat(), "--to", END.isoformat(), "--strategy", "s-fixed",
            "--database-url", bt_world.pg_url, "--clickhouse-url", bt_world.ch_url, "--out", str(out),
            "--json", str(js)]  # fmt: skip

    assert main(argv) == 0

    captured = capsys.readouterr()
    assert "s-fixed: 4 signals, 3 copies, 3 orders (fill rate 100%), P&L −$78.75" in captured.out
    assert "100% 40/40 ticks" in captured.err  # the progress bar
    data = json.loads(js.read_text())
    assert [s["strategy_id"] for s in data["strategies"]] == ["s-fixed"]
    assert D(data["strategies"][0]["strategy"]["total_pnl"]) == D("-78.75")
    html = out.read_text()
    for chart in ("chart-decisions", "chart-owrr", "chart-pnl", "chart-latency", "chart-rejections"):
        assert f'id="{chart}"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_cli_refuses_an_unknown_strategy(bt_world: BacktestWorld, capsys: Any) -> None:
    argv = ["backtest", "--from", T0.isoformat(), "--to", END.isoformat(), "--strategy", "s-off",
            "--database-url", bt_world.pg_url, "--clickhouse-url", bt_world.ch_url]  # fmt: skip
    assert main(argv) == 2
    assert "unknown or inactive strategy: s-off (active: s-fixed, s-strict)" in capsys.readouterr().err


def test_the_backtest_report_renders_every_chart_with_data(bt_world: BacktestWorld) -> None:
    html = render_report(backtest_report(_replay(bt_world)))
    for chart in ("chart-decisions", "chart-owrr", "chart-pnl", "chart-latency"):
        match = re.search(rf'<svg id="{chart}"[^>]*data-points="(\d+)"', html)
        assert match and int(match.group(1)) > 0, chart
    assert 'id="chart-rejections"' in html  # no rejections in this world: an empty chart
    assert "category_not_tracked" in html and "Fixed $100" in html


@pytest.mark.parametrize("arrival", ["ingested_at", "block_time"])
def test_a_backfilled_table_replays_by_block_time(
    bt_world: BacktestWorld, arrival: Literal["ingested_at", "block_time"]
) -> None:
    """Rows ingested long after they traded (a backfill) are invisible to a replay by arrival time."""
    backfill = [
        TradeSeed(t.trade_id, t.wallet, t.market, t.outcome, t.action, t.shares, t.price, block_time=t.block_time,
                  ingested_at=END + timedelta(days=1))
        for t in LEADER_TRADES
    ]  # fmt: skip
    insert_trades(bt_world.ch, backfill)
    bt_world.ch.command("OPTIMIZE TABLE trades_raw FINAL")  # the later version of each row wins
    with psycopg.connect(bt_world.pg_url, autocommit=True) as conn:
        strategies = PgMonitorSession(conn).load_strategies()
    history = ClickHouseBacktest(clickhouse_connect.get_client(dsn=bt_world.ch_url), arrival_column=arrival)
    result = run_backtest(strategies, history, history, BacktestConfig(start=T0, end=END), ports=MemoryReplayPorts())
    if arrival == "ingested_at":
        assert result.trades_seen == 0
        assert history.window_rows(sorted(strategies[0].watched_wallets), T0, END) == (4, 0)
    else:
        assert result.trades_seen == 4
        assert _strategy(result, "s-fixed").book.total == D("-78.75")
