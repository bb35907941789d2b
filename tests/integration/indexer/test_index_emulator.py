"""The indexer on its real client against the public-API emulator over HTTP, ClickHouse and PostgreSQL:
a week of emulated history indexed exactly once, the CLI, and `leaders show --json`."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.pg_index_books import PgIndexBooks
from omegacopy.adapters.polymarket import PolymarketPublicData, RunBudget
from omegacopy.app.index_run import IndexDeps, IndexSettings, IndexSummary, run_index
from omegacopy.cli import main
from omegacopy.devstack.public_api import PublicApiEmulator
from omegacopy.devstack.seed import StrategySeed, insert_strategies, insert_wallet
from tests.integration.public_api.conftest import ClientFactory
from tests.support.public_api import EmulatorWallClock, condition_id, token_id

LEADERS = ["0x" + c * 40 for c in "abc"]
VOTERS = [f"0x{i:040x}" for i in range(1, 9)]
WEEK_S = 7 * 86_400


def publish_week(api: PublicApiEmulator, seed: int = 3) -> dict[str, Any]:
    """Six markets (two resolved), 3 leaders x 120 fills over the last 7 days (some equal fills in one
    transaction), voters holding the open markets with a resolved track record."""
    rng = random.Random(seed)
    now = int(api.clock.now())
    markets = []
    for i in range(6):
        cid = condition_id()
        names = [("Up", token_id()), ("Down", token_id())] if i % 2 else [("Yes", token_id()), ("No", token_id())]
        api.publish_market(cid, outcomes=names, category=("politics", "crypto")[i % 2], volume_24h=1000 - i)
        markets.append(cid)
    for cid in markets[4:]:
        api.resolve_market(cid, winner=0, at=now - 3 * 86_400)
    fills = 0
    for leader in LEADERS:
        for j in range(120):
            cid = rng.choice(markets[:4])
            ts = now - rng.randrange(60, WEEK_S)
            tx = "0x" + f"{rng.getrandbits(256):064x}"
            copies = 2 if j % 40 == 0 else 1  # two equal fills in one transaction
            for _ in range(copies):
                api.publish_trade(leader.upper().replace("0X", "0x"), cid, outcome_index=j % 2, size=10 + j,
                                  price="0.45", timestamp=ts, tx_hash=tx, maker=j % 3 == 0)  # fmt: skip
                fills += 1
    for v, voter in enumerate(VOTERS):
        for cid in markets[:4]:
            api.publish_position(voter, cid, outcome_index=v % 2, size=500 + v, avg_price="0.4")
        for k, cid in enumerate(markets[4:]):
            api.publish_position(voter, cid, outcome_index=k % 2, size=0, status="CLOSED",
                                 realized_pnl=50 if k % 2 == 0 else -20, last_event_at=now - 4 * 86_400)  # fmt: skip
    return {"markets": markets, "fills": fills}


@pytest.fixture
def followed(pg: psycopg.Connection[Any]) -> None:
    insert_wallet(pg, "w-follower", "0x" + "f0" * 20)
    insert_strategies(pg, [StrategySeed("s1", "w-follower", LEADERS)])


def run_pass(client: PolymarketPublicData, api: PublicApiEmulator, ch: Any, pg_url: str, run: int,
             budget: RunBudget | None = None) -> IndexSummary:  # fmt: skip
    client.begin_run(budget)
    books = PgIndexBooks(pg_url)
    stats = client.stats

    def requests() -> dict[str, int]:
        t = stats().total()
        return {"requests": t.requests, "throttled": t.throttled}

    try:
        deps = IndexDeps(client, ClickHouseIndexStore(ch), books, EmulatorWallClock(api.clock),
                         IndexSettings(workers=3), requests)  # fmt: skip
        return run_index(deps, f"run-{run}")
    finally:
        books.close()


def trade_count(ch: Any) -> int:
    return int(ch.query("SELECT count() FROM trades_raw").result_rows[0][0])


def test_a_week_of_history_is_indexed_exactly_once(
    api: PublicApiEmulator, make_client: ClientFactory, ch: Any, pg_url: str, followed: None
) -> None:
    world = publish_week(api)
    client = make_client(page_size=50)

    first = run_pass(client, api, ch, pg_url, 1)

    assert first.status == "ok"
    assert first.trades_written == world["fills"] == trade_count(ch)
    ids = ch.query("SELECT trade_id FROM trades_raw").result_rows
    assert len({r[0] for r in ids}) == world["fills"]  # equal fills of one transaction are two trades
    assert first.requests["throttled"] == 0
    wallets = {r[0] for r in ch.query("SELECT DISTINCT wallet_address FROM trades_raw").result_rows}
    assert wallets == set(LEADERS)  # stored lower-case whatever case the API spelled them in
    assert first.holder_markets == 4  # the open markets the leaders traded
    metrics = ClickHouseIndexStore(ch).wallet_metric_rows(VOTERS[0])
    lifetime = {m.category: m for m in metrics if m.window == "lifetime"}
    assert lifetime["politics"].resolved_bets == 1 and lifetime["crypto"].resolved_bets == 1

    api.clock.shift(60)
    second = run_pass(client, api, ch, pg_url, 2)
    assert (second.trades_written, second.markets_written, second.holders_written) == (0, 0, 0)
    assert trade_count(ch) == world["fills"]


def test_an_interrupted_replay_resumes_and_still_writes_each_fill_once(
    api: PublicApiEmulator, make_client: ClientFactory, ch: Any, pg_url: str, followed: None
) -> None:
    world = publish_week(api, seed=5)
    client = make_client(page_size=20)
    passes = []
    for run in range(1, 60):
        summary = run_pass(client, api, ch, pg_url, run, RunBudget(max_requests=10))
        passes.append(summary.status)
        if summary.status == "ok":
            break
        api.clock.shift(30)
    assert passes[0] == "budget" and passes[-1] == "ok"
    assert trade_count(ch) == world["fills"]
    ids = [r[0] for r in ch.query("SELECT trade_id FROM trades_raw").result_rows]
    assert len(ids) == len(set(ids))


def test_a_trade_published_late_is_indexed_on_the_next_pass(
    api: PublicApiEmulator, make_client: ClientFactory, ch: Any, pg_url: str, followed: None
) -> None:
    world = publish_week(api)
    client = make_client()
    run_pass(client, api, ch, pg_url, 1)
    # traded 20 minutes ago, published only now: behind the checkpoint, inside the look-back
    api.publish_trade(LEADERS[0], world["markets"][0], timestamp=int(api.clock.now()) - 1200)
    api.clock.shift(30)
    assert run_pass(client, api, ch, pg_url, 2).trades_written == 1


def test_index_run_once_prints_its_summary(
    api: PublicApiEmulator, ch_url: str, pg_url: str, followed: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    publish_week(api)
    api.clock.set(datetime.now(UTC).timestamp())  # the CLI runs on the wall clock
    for name, value in {"DATABASE_URL": pg_url, "CLICKHOUSE_URL": ch_url, "DATA_API_URL": api.data_url,
                        "GAMMA_API_URL": api.gamma_url}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main(["index", "run", "--once", "--budget-s", "120"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(line)
    assert summary["status"] == "ok" and summary["trades_written"] > 0 and summary["requests"]["requests"] > 0


def test_index_run_without_stores_says_what_to_set(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CLICKHOUSE_URL", raising=False)
    assert main(["index", "run", "--once"]) == 2
    assert "set DATABASE_URL and CLICKHOUSE_URL" in capsys.readouterr().err


def test_leaders_show_json_is_the_contract(
    api: PublicApiEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wallet = "0x" + "Ab" * 20
    won, lost, live, flat = condition_id(), condition_id(), condition_id(), condition_id()
    for cid, category in ((won, "Sports"), (lost, "sports"), (live, "politics"), (flat, "crypto")):
        api.publish_market(cid, outcomes=[("Team A", token_id()), ("Team B", token_id())], category=category)
    api.resolve_market(won, winner=1)
    api.resolve_market(lost, winner=0)
    api.resolve_market(flat, winner=0)
    now = int(api.clock.now())
    # held to resolution on the winning side: 200 x (1 - 0.35) = 130, minus 2 of fees
    api.publish_position(wallet, won, outcome_index=1, size=200, avg_price="0.35", status="REDEEMABLE", fees=2,
                         current_price=1, last_event_at=now - 100)  # fmt: skip
    # sold early at a 30 loss in a market that then resolved
    api.publish_position(wallet, lost, outcome_index=1, size=0, status="CLOSED", realized_pnl=-30,
                         last_event_at=now - 200)  # fmt: skip
    api.publish_position(wallet, live, size=50, avg_price="0.5")  # unresolved: no bet yet
    api.publish_position(wallet, flat, outcome_index=0, size=0, status="CLOSED", realized_pnl=5, last_event_at=now)
    api.clock.set(datetime.now(UTC).timestamp())
    monkeypatch.setenv("DATA_API_URL", api.data_url)
    monkeypatch.setenv("GAMMA_API_URL", api.gamma_url)

    assert main(["leaders", "show", wallet.upper().replace("0X", "0x"), "--json"]) == 0

    out = json.loads(capsys.readouterr().out)
    assert out == {
        "wallet": wallet.lower(),
        "categories": {
            "sports": {"omega_net": 4.2667, "resolved_bets": 2, "gains_usd": 128.0, "losses_usd": 30.0,
                       "realized_pnl_usd": 98.0},
            "politics": {"omega_net": None, "resolved_bets": 0, "gains_usd": 0.0, "losses_usd": 0.0,
                         "realized_pnl_usd": 0.0},
            "crypto": {"omega_net": 99999.9999, "resolved_bets": 1, "gains_usd": 5.0, "losses_usd": 0.0,
                       "realized_pnl_usd": 5.0},
        },
    }  # fmt: skip


def test_leaders_show_refuses_what_is_not_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["leaders", "show", "0x1234"]) == 2
    assert "0x and 40 hex digits" in capsys.readouterr().err
