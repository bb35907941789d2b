"""The daily summary: its numbers from the real PostgreSQL, and the scheduled handler sending them to
Slack and Telegram (the local receiver)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from omegacopy.adapters.pg_daily_summary import PgDailySummary
from omegacopy.devstack.seed import StrategySeed, insert_strategies, insert_wallet
from omegacopy.devstack.webhook_receiver import WebhookReceiver
from omegacopy.domain.notifications import LeaderDay, StrategyDay
from tests.support.lambda_runtime import fresh_container

D = Decimal
END = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
IN = END - timedelta(hours=3)  # inside the 24 h window
BEFORE = END - timedelta(hours=30)  # before it
L1, L2, L3 = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20


def signal(
    pg: psycopg.Connection[Any], sid: str, trade: str, leader: str, decision: str, reason: str, at: datetime,
    intent: str | None = None,
) -> None:  # fmt: skip
    pg.execute(
        "INSERT INTO wallet_monitor_signals (strategy_id, source_trade_id, leader_wallet, decision, reason_code,"
        " reason, correlation_id, intent_id, created_at) VALUES (%s, %s, %s, %s, %s, 'why', 'c', %s, %s)",
        (sid, trade, leader, decision, reason, intent, at),
    )


def intent(pg: psycopg.Connection[Any], sid: str, trade: str, action: str = "BUY") -> str:
    intent_id = str(uuid.uuid4())
    pg.execute(
        "INSERT INTO order_intents (intent_id, strategy_id, wallet_id, source_trade_id, correlation_id, action,"
        " token_id, condition_id, usd_amount, leader_price, worst_price, order_style, state)"
        " VALUES (%s, %s, 'w1', %s, 'c', %s, '101', '0xm', 50, 0.5, 0.52, 'FAK', 'FILLED')",
        (intent_id, sid, trade, action),
    )
    return intent_id


def fill(
    pg: psycopg.Connection[Any], sid: str, intent_id: str, side: str, usd: str, realized: str, at: datetime
) -> None:
    pg.execute(
        "INSERT INTO strategy_trades (strategy_id, intent_id, order_hash, exchange_trade_id, token_id, side, price,"
        " shares, usd_value, realized_pnl_usd, filled_at) VALUES (%s, %s, %s, %s, '101', %s, 0.5, 100, %s, %s, %s)",
        (sid, intent_id, f"0x{uuid.uuid4().hex}", uuid.uuid4().hex, side, D(usd), D(realized), at),
    )


@pytest.fixture
def books(pg: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """Two strategies' day: signals, intents, fills and open positions, some of them before the window."""
    insert_wallet(pg, "w1", "0x" + "f0" * 20)
    insert_strategies(pg, [StrategySeed("s1", "w1", [L1, L2], name="Politics", balance_usd=D("5000")),
                           StrategySeed("s2", "w1", [L3], name="Sports", balance_usd=D("1000")),
                           StrategySeed("s-idle", "w1", [], auto_execute_enabled=False)])  # fmt: skip
    pg.execute("UPDATE strategies SET paused_reason = 'daily loss limit' WHERE strategy_id = 's2'")
    # s1: L1 copied twice (one bought yesterday, sold today at +$30), L2 skipped twice
    old_buy = intent(pg, "s1", "t-old")
    signal(pg, "s1", "t-old", L1, "COPY", "copy", BEFORE, old_buy)
    fill(pg, "s1", old_buy, "BUY", "50", "0", BEFORE)
    buy = intent(pg, "s1", "t-buy")
    signal(pg, "s1", "t-buy", L1, "COPY", "copy", IN, buy)
    fill(pg, "s1", buy, "BUY", "80", "0", IN)
    sale = intent(pg, "s1", "t-sell", "SELL")
    signal(pg, "s1", "t-sell", L1, "COPY", "copy_exit", IN, sale)
    fill(pg, "s1", sale, "SELL", "80", "30", IN)
    signal(pg, "s1", "t-skip-1", L2, "SKIP", "owrr_below_threshold", IN)
    signal(pg, "s1", "t-skip-2", L2, "SKIP", "stale_trade", IN)
    # s2: a stop-loss exit (no leader) lost $12.5 today; L3 skipped for capital
    stop = intent(pg, "s2", "exit:stop-loss:101", "SELL")
    fill(pg, "s2", stop, "SELL", "20", "-12.5", IN)
    signal(pg, "s2", "t-l3", L3, "SKIP", "owrr_below_threshold", IN)
    # open positions now: s1 100 shares cost $50 marked 0.62 (+$12); s2 unmarked (valued at cost)
    pg.execute("INSERT INTO strategy_positions (strategy_id, token_id, condition_id, shares, cost_usd, mark_price)"
               " VALUES ('s1', '101', '0xm', 100, 50, 0.62), ('s2', '202', '0xn', 40, 20, NULL)")  # fmt: skip
    return pg


def test_the_numbers_of_a_day(books: psycopg.Connection[Any], pg_url: str) -> None:
    summary = PgDailySummary(pg_url).daily_summary(END - timedelta(hours=24), END)

    assert summary.strategies == (
        StrategyDay("s1", "Politics", "active", D("5000"), D("30"), D("12"), 2, 2, 2),
        StrategyDay("s2", "Sports", "paused: daily loss limit", D("1000"), D("-12.5"), D("0"), 0, 1, 1),
    )  # the idle, disabled strategy is left out
    assert summary.skip_reasons == (("owrr_below_threshold", 2), ("stale_trade", 1))
    assert summary.leaders == (
        LeaderDay(L1, 2, 0, D("80"), D("30")),  # yesterday's buy is not today's
        LeaderDay(L2, 0, 2, D("0"), D("0")),
        LeaderDay(L3, 0, 1, D("0"), D("0")),
    )
    assert (summary.realized_pnl_usd, summary.copies, summary.skips) == (D("17.5"), 2, 3)


def test_the_scheduled_handler_sends_the_summary_to_both_channels(
    books: psycopg.Connection[Any],
    pg_url: str,
    notifier_env: dict[str, str],
    hooks: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**notifier_env, "DATABASE_URL": pg_url}
    with fresh_container("daily_summary", env, monkeypatch) as run:
        result = run({"scheduled_time": "2026-11-21T07:00:00Z"})

    assert result == {"start": "2026-11-20T07:00:00+00:00", "end": "2026-11-21T07:00:00+00:00", "copies": 2,
                      "skips": 3, "delivered": ["slack", "telegram"]}  # fmt: skip
    (telegram,) = hooks.telegram_messages()
    text = telegram["text"]
    assert text.startswith("<b>Daily summary 2026-11-20 07:00 UTC → 2026-11-21 07:00 UTC (test)</b>")
    assert "Skips by reason: owrr_below_threshold 2, stale_trade 1" in text
    assert "• Politics: +$42.00 (+0.84%), 2 copies, 2 skips, 2 fills" in text
    assert "• 0xa1a1…a1a1: +$30.00 realized, 2 copies, 0 skips, $80.00 bought" in text
    assert "<b>realized P&amp;L</b>: +$17.50" in text
    (slack,) = hooks.slack_messages()
    assert slack["blocks"][0]["text"]["text"].startswith("Daily summary 2026-11-20 07:00 UTC")


def test_a_retried_invocation_reports_the_same_window(
    books: psycopg.Connection[Any], pg_url: str, notifier_env: dict[str, str], hooks: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    env = {**notifier_env, "DATABASE_URL": pg_url}
    with fresh_container("daily_summary", env, monkeypatch) as run:
        first = run({"scheduled_time": "2026-11-21T07:00:00Z"})
        again = run({"scheduled_time": "2026-11-21T07:00:00Z"})
    assert json.dumps(first) == json.dumps(again)
    assert hooks.telegram_messages()[0]["text"] == hooks.telegram_messages()[1]["text"]
