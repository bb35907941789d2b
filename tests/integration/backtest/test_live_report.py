"""`omegacopy report`: the live report's numbers from PostgreSQL rows, and the file it writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from omegacopy.adapters.pg_report_source import PgReportSource
from omegacopy.cli import main
from omegacopy.devstack.seed import StrategySeed, insert_strategies, insert_wallet
from omegacopy.reporting.live_report import live_report
from omegacopy.reporting.report_model import ReportModel

T = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
LEADER = "0x" + "ab" * 20


def _signal(conn: Any, sid: str, trade: str, decision: str, reason: str, slider: int | None, at: datetime,
            intent: str | None = None) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO wallet_monitor_signals (strategy_id, source_trade_id, leader_wallet, action, decision,"
        " reason_code, reason, slider, traded_at, created_at, correlation_id, intent_id)"
        " VALUES (%s, %s, %s, 'BUY', %s, %s, 'why', %s, %s, %s, 'c', %s)",
        (sid, trade, LEADER, decision, reason, slider, at - timedelta(seconds=20), at, intent),
    )


def _intent(conn: Any, sid: str, trade: str, state: str, *, reason: str | None, submitted: datetime | None) -> str:
    intent_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/{trade}"))
    conn.execute(
        "INSERT INTO order_intents (intent_id, strategy_id, wallet_id, source_trade_id, correlation_id, action,"
        " token_id, condition_id, usd_amount, leader_price, worst_price, order_style, state, reason_code,"
        " submitted_at, created_at, filled_shares)"
        " VALUES (%s, %s, 'w-live', %s, 'c', 'BUY', '9', '0xm', 100, 0.5, 0.52, 'FAK', %s, %s, %s, %s, %s)",
        (intent_id, sid, trade, state, reason, submitted, T, 200 if state == "FILLED" else 0),
    )
    return intent_id


def _seed(conn: Any) -> None:
    insert_wallet(conn, "w-live", "0x" + "cd" * 20)
    insert_strategies(conn, [StrategySeed("s-live", "w-live", [LEADER], name="Live <one>")])
    filled = _intent(conn, "s-live", "t1", "FILLED", reason=None, submitted=T + timedelta(seconds=25))
    _intent(conn, "s-live", "t2", "REJECTED", reason="price_collar", submitted=T + timedelta(seconds=70))
    _intent(conn, "s-live", "t3", "REJECTED", reason="price_collar", submitted=None)
    _intent(conn, "s-live", "t4", "REJECTED", reason=None, submitted=None)
    _signal(conn, "s-live", "t1", "COPY", "copy", 72, T + timedelta(seconds=5), filled)
    _signal(conn, "s-live", "t2", "COPY", "copy", 65, T + timedelta(seconds=35))
    _signal(conn, "s-live", "t5", "SKIP", "owrr_below_threshold", 41, T + timedelta(minutes=5))
    _signal(conn, "s-live", "t6", "SKIP", "stale_trade", None, T + timedelta(hours=3))
    for i, (pnl, at) in enumerate(
        [(Decimal("5"), T + timedelta(minutes=10)), (Decimal("-2.5"), T + timedelta(hours=1))]
    ):
        conn.execute(
            "INSERT INTO strategy_trades (strategy_id, intent_id, order_hash, exchange_trade_id, token_id, side,"
            " price, shares, usd_value, realized_pnl_usd, filled_at) VALUES ('s-live', %s, 'h', %s, '9', 'BUY',"
            " 0.5, 200, 100, %s, %s)",
            (filled, f"x{i}", pnl, at),
        )  # fmt: skip
    conn.execute(
        "INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, cost_usd, mark_price)"
        " VALUES ('s-live', '9', '0xm', 200, 100, 0.55)"
    )


def _load(pg: Any, start: datetime | None = None, end: datetime | None = None) -> ReportModel:
    model, _ = live_report(PgReportSource(pg).rows(start=start, end=end))
    return model


def test_the_live_report_reads_signals_latency_rejections_and_pnl(pg: psycopg.Connection[Any]) -> None:
    _seed(pg)

    model = _load(pg)

    assert [(d.decision, d.reason_code, d.slider) for d in model.decisions] == [
        ("COPY", "copy", 72), ("COPY", "copy", 65), ("SKIP", "owrr_below_threshold", 41), ("SKIP", "stale_trade", None),
    ]  # fmt: skip
    # traded 20 s before the signal; submitted 25 s and 70 s after T: 40 s and 55 s
    assert model.latencies_s == (40.0, 55.0)
    assert model.rejections == (("price_collar", 2), ("unknown", 1))
    assert [(s.label, [v for _, v in s.points]) for s in model.pnl] == [("Live <one> · realized", [5.0, 2.5])]
    row = {c: cell.text for c, cell in zip(model.tables[0].columns, model.tables[0].rows[0], strict=True)}
    assert row["Signals"] == "4" and row["Copies"] == "2" and row["Orders"] == "4" and row["Rejected"] == "3"
    assert row["Fill rate"] == "25%" and row["Realized"] == "$2.50"
    assert row["Unrealized"] == "$10.00"  # 200 × 0.55 − 100

    windowed = _load(pg, T, T + timedelta(minutes=30))
    assert len(windowed.decisions) == 3
    assert [v for _, v in windowed.pnl[0].points] == [0.0, 5.0]  # from the window's start


def test_the_report_command_writes_one_self_contained_file(pg: Any, pg_url: str, tmp_path: Path) -> None:
    _seed(pg)
    out = tmp_path / "live.html"

    assert main(["report", "--database-url", pg_url, "--out", str(out)]) == 0

    html = out.read_text()
    for chart in ("chart-decisions", "chart-owrr", "chart-pnl", "chart-latency", "chart-rejections"):
        assert f'<svg id="{chart}"' in html
    assert "Live &lt;one&gt;" in html and "Live <one>" not in html
    assert "<script" not in html and "<link" not in html and "src=" not in html


def test_the_report_command_needs_a_database(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["report", "--out", str(tmp_path / "x.html")]) == 2
    assert "DATABASE_URL" in capsys.readouterr().err


def test_the_live_report_lists_the_indexers_passes(pg: psycopg.Connection[Any]) -> None:
    _seed(pg)
    assert [t.title for t in _load(pg).tables] == ["Strategies", "Leaders"]
    summary = {"requests": {"requests": 262, "throttled": 0}, "trades_written": 9, "markets_written": 159,
               "holders_written": 207, "positions_written": 4990, "metric_rows_written": 1245, "rejected_rows": 2,
               "lag_s": 3.2, "duration_ms": 2400.0}  # fmt: skip
    for i, status in enumerate(("ok", "budget")):
        pg.execute(
            "INSERT INTO indexer_runs (run_id, started_at, finished_at, status, summary) VALUES (%s, %s, %s, %s, %s)",
            (f"index-{i}", T + timedelta(minutes=5 * i), T + timedelta(minutes=5 * i, seconds=3), status,
             Jsonb(summary)),
        )  # fmt: skip
    pg.execute("INSERT INTO indexer_runs (run_id, started_at, status) VALUES ('index-old', %s, 'failed')",
               (T - timedelta(days=1),))  # fmt: skip

    model = _load(pg, T)

    (table,) = [t for t in model.tables if t.title == "Indexer passes"]
    rows = [{c: cell.text for c, cell in zip(table.columns, row, strict=True)} for row in table.rows]
    # newest first; the pass before the window is left out
    assert [(r["Started (UTC)"], r["Status"]) for r in rows] == [("2025-04-01 09:05:00", "budget"),
                                                                 ("2025-04-01 09:00:00", "ok")]  # fmt: skip
    assert {k: rows[1][k] for k in ("Duration", "Requests", "429s", "Trades", "Positions", "Rejected", "Lag")} == {
        "Duration": "2.4 s", "Requests": "262", "429s": "0", "Trades": "9", "Positions": "4,990", "Rejected": "2",
        "Lag": "3 s",
    }  # fmt: skip


def test_paper_and_live_strategies_settlements_and_leaders_in_one_computation(pg: psycopg.Connection[Any]) -> None:
    _seed(pg)
    other = "0x" + "ef" * 20
    insert_strategies(pg, [StrategySeed("s-paper", "w-live", [other], name="Paper one", mode="paper")])
    paper_intent = _intent(pg, "s-paper", "p1", "FILLED", reason="paper_fill", submitted=None)
    pg.execute("UPDATE order_intents SET paper = true, terminal_at = %s WHERE intent_id = %s",
               (T + timedelta(seconds=12), paper_intent))  # fmt: skip
    pg.execute(
        "INSERT INTO wallet_monitor_signals (strategy_id, source_trade_id, leader_wallet, action, decision,"
        " reason_code, reason, traded_at, created_at, correlation_id) VALUES ('s-paper', 'p1', %s, 'BUY', 'COPY',"
        " 'copy', 'why', %s, %s, 'c')",
        (other.upper().replace("0X", "0x"), T - timedelta(seconds=3), T),
    )
    pg.execute(
        "INSERT INTO strategy_trades (strategy_id, intent_id, order_hash, exchange_trade_id, token_id, side, price,"
        " shares, usd_value, realized_pnl_usd, filled_at, paper) VALUES ('s-paper', %s, %s, 'c', '7', 'BUY', 0.4,"
        " 100, 40, 0, %s, true)",
        (paper_intent, f"paper:{paper_intent}", T + timedelta(seconds=12)),
    )
    # a resolved position of the live strategy paid out: realized in the books, not a fill
    pg.execute(
        "INSERT INTO position_settlements (strategy_id, token_id, condition_id, wallet_id, shares, payout,"
        " proceeds_usd, realized_pnl_usd, source, settled_at) VALUES ('s-live', '8', '0xm', 'w-live', 10, 1, 10,"
        " 4, 'markets', %s)",
        (T + timedelta(hours=2),),
    )

    model, numbers = live_report(PgReportSource(pg).rows())

    assert numbers.mode == model.badge == "paper + live"
    by_id = {n.strategy_id: n for n in numbers.strategies}
    assert by_id["s-live"].realized_usd == Decimal("6.5")  # 5 − 2.5 from fills, + 4 settled
    assert by_id["s-paper"].row.paper and not by_id["s-live"].row.paper
    # the paper intent's "order" is the fill model's answer: 3 s before T to 12 s after
    assert sorted(numbers.rows.latencies_s) == [15.0, 40.0, 55.0]
    strategies = {t.title: t for t in model.tables}["Strategies"]
    cells = {row[0].text: {c: cell.text for c, cell in zip(strategies.columns, row, strict=True)}
             for row in strategies.rows}  # fmt: skip
    assert cells["Paper one"]["Mode"] == "paper" and cells["Live <one>"]["Mode"] == "live"
    assert cells["Live <one>"]["Realized"] == "$6.50" and cells["Live <one>"]["Unrealized"] == "$10.00"
    # the money columns are never the ones a narrow screen drops
    assert {strategies.columns[i] for i in strategies.narrow_hidden}.isdisjoint(
        {"Strategy", "Mode", "Realized", "Unrealized", "P&L / start", "Cash", "Equity"}
    )
    leaders = {t.title: t for t in model.tables}["Leaders"]
    assert [(r[0].text, r[1].text, r[4].text) for r in leaders.rows] == [
        ("Live <one>", "0xabab…abab", "2"), ("Paper one", "0xefef…efef", "1"),
    ]  # fmt: skip
    assert [label for label, _ in model.leader_pnl] == ["Live <one> · 0xabab…abab", "Paper one · 0xefef…efef"]
