"""Property tests over a corpus of hostile rows, on the real ClickHouse, PostgreSQL, SQS and SSM.

1. Through the real tick (the Lambda handler): the tick completes; every input row ends as a signal
   for each following strategy (a decision, or an `invalid_source` record); no order goes out on an
   invalid row; no secret appears in any output (signals, intents, messages, logs, the reply).
2. The two forms of the trade-row rules agree: `TradeRow` in Python and `invalid_reason_sql` in
   ClickHouse accept exactly the same rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omegacopy.adapters.clickhouse_source import _MARKETS, _TRADE_COLUMNS
from omegacopy.adapters.source_rows import invalid_reason_sql, parse_trade_row
from omegacopy.devstack.seed import TRADE_COLUMNS
from omegacopy.domain.models import LeaderTrade
from tests.integration.monitor.conftest import LEADER, POLITICS, SPORTS, MonitorWorld
from tests.support.lambda_runtime import load_event

TICK = load_event("wallet_monitor_tick.json")
DB_PASSWORD = "Corpus-Pg-Pw-7f3"
CH_PASSWORD = "Corpus-Ch-Pw-9k1"
STRATEGIES = {"s-politics", "s-sports"}
_ids = itertools.count()


@dataclass(frozen=True)
class Mutation:
    name: str
    valid: bool
    apply: Callable[[dict[str, Any]], None]


def _set(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.update(values)


MUTATIONS = [
    Mutation("none", True, _set()),
    Mutation("lower-case-side", True, lambda r: r.update(side=r["side"].lower(), action=r["action"].lower())),
    Mutation("mixed-case-wallet", True, _set(wallet_address="0x" + LEADER[2:].upper())),
    Mutation("unicode-id", True, lambda r: r.update(trade_id=r["trade_id"] + "-ü✓")),
    Mutation("nan-shares", False, _set(shares=float("nan"))),
    Mutation("inf-shares", False, _set(shares=float("inf"))),
    Mutation("negative-shares", False, _set(shares=-1e9)),
    Mutation("zero-shares", False, _set(shares=0.0)),
    Mutation("nan-price", False, _set(entry_price=float("nan"))),
    Mutation("price-7", False, _set(entry_price=7.0)),
    Mutation("price-1", False, _set(entry_price=1.0)),
    Mutation("negative-usd", False, _set(usd_value=-5.0)),
    Mutation("inf-usd", False, _set(usd_value=float("inf"))),
    Mutation("unknown-side", False, _set(side="MAYBE")),
    Mutation("unknown-action", False, _set(action="HOLD")),
    Mutation("other-market-token", False, _set(token_id=SPORTS.yes_token_id)),
    Mutation(
        "other-side-token",
        False,
        lambda r: r.update(token_id=POLITICS.no_token_id if r["side"] == "YES" else POLITICS.yes_token_id),
    ),
    Mutation("unknown-market", False, _set(market_id="0xnot-a-market")),
    Mutation("float-token", False, _set(token_id="7.132104567925221e+76")),
    Mutation("year-2100", False, _set(block_time=datetime(2100, 1, 1, tzinfo=UTC))),
    Mutation("nul-in-id", False, lambda r: r.update(trade_id=r["trade_id"] + "\x00x")),
    Mutation("long-id", False, lambda r: r.update(trade_id=r["trade_id"] + "x" * 300)),
]


@st.composite
def corpus(draw: st.DrawFn) -> list[tuple[Mutation, dict[str, Any]]]:
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        mutation = draw(st.sampled_from(MUTATIONS))
        yes = draw(st.booleans())
        price = draw(st.integers(5, 95)) / 100
        shares = float(draw(st.integers(1, 5_000)))
        row: dict[str, Any] = {
            "trade_id": f"corpus-{next(_ids)}",
            "wallet_address": LEADER,
            "market_id": POLITICS.condition_id,
            "token_id": POLITICS.yes_token_id if yes else POLITICS.no_token_id,
            "side": "YES" if yes else "NO",
            "action": draw(st.sampled_from(["BUY", "SELL"])),
            "shares": shares,
            "entry_price": price,
            "usd_value": shares * price,
            "block_time": None,  # set when written: a few seconds before the tick
        }
        mutation.apply(row)
        rows.append((mutation, row))
    return rows


def _write(world: MonitorWorld, rows: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    values = []
    for i, row in enumerate(rows):
        at = row["block_time"] or now - timedelta(seconds=10 - i)
        values.append([row.get(c, 0) for c in TRADE_COLUMNS[:10]] + [at, now - timedelta(seconds=10 - i)])
    world.ch.insert("trades_raw", values, column_names=TRADE_COLUMNS)


def _reset(world: MonitorWorld) -> None:
    world.ch.command("TRUNCATE TABLE trades_raw")
    world.pg.execute(
        "TRUNCATE wallet_monitor_signals, order_intents, monitor_seen_trades, monitor_cursor, monitor_ticks CASCADE"
    )
    world.drain()


@pytest.fixture
def secret_env(world: MonitorWorld, invoke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The world's URLs with passwords in them (both servers accept any): they must never be output."""
    pg = world.env["DATABASE_URL"].replace("postgresql://omegacopy@", f"postgresql://omegacopy:{DB_PASSWORD}@")
    assert DB_PASSWORD in pg
    monkeypatch.setenv("DATABASE_URL", pg)
    monkeypatch.setenv("CLICKHOUSE_URL", world.env["CLICKHOUSE_URL"].replace("default:@", f"default:{CH_PASSWORD}@"))


@settings(
    max_examples=25,
    deadline=None,  # each example is a tick on real services
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=corpus())
def test_hostile_rows_through_the_tick(
    world: MonitorWorld, invoke: Any, secret_env: None, capfd: pytest.CaptureFixture[str], rows: Any
) -> None:
    _reset(world)
    _write(world, [r for _, r in rows])
    capfd.readouterr()

    reply = invoke(TICK)

    assert reply["status"] == "ok"  # the tick completes
    signals = world.signals()
    by_trade: dict[str, dict[str, str]] = {}
    for s in signals:
        by_trade.setdefault(s["source_trade_id"], {})[s["strategy_id"]] = s["reason_code"]
    valid_ids = set()
    for mutation, row in rows:
        if mutation.valid:
            valid_ids.add(row["trade_id"])
            decided = by_trade.get(row["trade_id"], {})
            assert set(decided) == STRATEGIES, (mutation.name, decided)
            assert "invalid_source" not in decided.values(), mutation.name
    invalid_rows = [m.name for m, _ in rows if not m.valid]
    recorded_invalid = {t for t, d in by_trade.items() if set(d.values()) == {"invalid_source"}}
    # every invalid row is one invalid record per strategy (an unusable id gets a stable derived one)
    assert len(recorded_invalid) == len({r["trade_id"] for m, r in rows if not m.valid}), invalid_rows
    assert all(set(by_trade[t]) == STRATEGIES for t in recorded_invalid)
    assert set(by_trade) == valid_ids | recorded_invalid  # nothing else, nothing lost

    intents = world.intents()
    assert {i["source_trade_id"] for i in intents} <= valid_ids  # no order on an invalid row
    sent = {m["body"]["intent_id"] for m in world.drain()}
    assert sent == {i["intent_id"] for i in intents}

    out = capfd.readouterr()
    outputs = f"{reply} {signals} {intents} {sent} {out.out} {out.err}"
    for secret in (DB_PASSWORD, CH_PASSWORD):
        assert secret not in outputs


# --- the two forms of the rules agree ----------------------------------------------------------------
NOT_AFTER = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
hostile_text = st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "\x00", "x" * 201]))
hostile_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e12, 1e12 - 1, 5e-324]),
)
rows_any = st.fixed_dictionaries(
    {
        "trade_id": st.one_of(st.just("t"), hostile_text),
        "wallet_address": st.sampled_from([LEADER, "0x" + LEADER[2:].upper(), LEADER.upper(), "0x12", LEADER + " "]),
        "market_id": st.sampled_from([POLITICS.condition_id, SPORTS.condition_id, "0xunknown", "", "0x\x01"]),
        "token_id": st.sampled_from(["1001", "1002", "2001", "7.1e+76", "", " 1001", "abc", "1" * 79]),
        "side": st.sampled_from(["YES", "NO", "yes", "No", "MAYBE", "", " YES", "yeſ"]),
        "action": st.sampled_from(["BUY", "SELL", "buy", "Sell", "HOLD", ""]),
        "shares": hostile_float,
        "entry_price": hostile_float,
        "usd_value": hostile_float,
        "block_time": st.sampled_from(
            [NOT_AFTER - timedelta(hours=1), NOT_AFTER, NOT_AFTER + timedelta(milliseconds=1), datetime(2100, 1, 1)]
        ),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(rows_any, min_size=1, max_size=20))
def test_python_and_sql_accept_the_same_rows(world: MonitorWorld, batch: list[dict[str, Any]]) -> None:
    world.ch.command("TRUNCATE TABLE trades_raw")
    world.ch.insert(
        "trades_raw",
        [[r.get(c, 0) for c in TRADE_COLUMNS[:10]] + [r["block_time"], NOT_AFTER] for r in batch],
        column_names=TRADE_COLUMNS,
    )
    columns = _TRADE_COLUMNS.format(arrival="ingested_at", closed="m.closed")
    markets = _MARKETS.format(market_cols="", markets="markets")
    result = world.ch.query(
        f"SELECT {columns}, {invalid_reason_sql('t', 'm')} AS sql_reason FROM trades_raw AS t"
        f" LEFT JOIN ({markets}) AS m ON m.condition_id = t.market_id SETTINGS join_use_nulls = 1",
        parameters={"not_after": NOT_AFTER},
    )
    disagreements = []
    for raw in result.named_results():
        python_ok = isinstance(parse_trade_row(raw, not_after=NOT_AFTER), LeaderTrade)
        if python_ok != (raw["sql_reason"] == ""):
            disagreements.append((raw, raw["sql_reason"], parse_trade_row(raw, not_after=NOT_AFTER)))
    assert disagreements == []
