"""`omegacopy run`: the whole system on the embedded stack, asserted against its ground truth.

One short in-process run (4 ticks, no pause) checks the end state in PostgreSQL, ClickHouse and on
the paper exchange's ledger while the stack is still up: the scenario reached the system only
through the public-API emulator, the indexer alone wrote ClickHouse, and that was enough for COPY
decisions. Then that nothing outlives the stack. A second test runs the real command with
`--keep`, interrupts it like Ctrl-C and checks the same cleanup.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row

from omegacopy.devstack.local_run import (
    SCENARIO_TUNABLES,
    LocalRun,
    LocalStack,
    ReportPaths,
    pid_running,
    write_report,
)
from omegacopy.devstack.scenario import generate_scenario
from omegacopy.domain.order_v2 import salt_from_id
from omegacopy.reporting.formatting import money, tone

REPO = Path(__file__).resolve().parents[2]
SEED = 7
TICKS = 4


def port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) == 0


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def rows(conn: psycopg.Connection[Any], sql: str) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql).fetchall()  # type: ignore[arg-type]


def test_a_short_local_run_ends_in_a_consistent_state(tmp_path: Path) -> None:
    scenario = generate_scenario(seed=SEED, ticks=TICKS)
    event = {e.kind: e for e in scenario.events if e.kind != "background"}
    lines: list[str] = []
    env_before = dict(os.environ)

    with (tmp_path / "lambda.log").open("w") as log, LocalStack(tunables=SCENARIO_TUNABLES) as stack:
        run = LocalRun(stack, scenario, speed=0, out=lines.append, log=log)
        run.setup()
        records = run.run()
        summary = run.summary(stack_started_s=stack.timings.total_s)
        services = stack.services()
        ch = stack.ch_client()
        trades_raw = Counter(r[0] for r in ch.query("SELECT trade_id FROM trades_raw").result_rows)
        markets = {r[0]: r[1] for r in ch.query("SELECT condition_id, closed FROM markets FINAL").result_rows}
        handler_env = stack.handler_env()
        db = stack.pg_connect()
        signals = rows(db, "SELECT strategy_id, source_trade_id, decision, reason_code FROM wallet_monitor_signals")
        intents = rows(
            db,
            "SELECT intent_id::text AS intent_id, strategy_id, source_trade_id, action, is_exit, token_id, state,"
            " reason_code, exchange_status, order_hash FROM order_intents",
        )
        positions = rows(db, "SELECT strategy_id, token_id, shares FROM strategy_positions WHERE NOT paper")
        paper = rows(db, "SELECT intent_id::text, strategy_id, paper, state, order_hash, filled_shares"
                         " FROM order_intents WHERE strategy_id = 's-politics-paper'")  # fmt: skip
        paper_positions = rows(
            db, "SELECT paper, shares FROM strategy_positions WHERE strategy_id = 's-politics-paper'"
        )
        ledger = stack.exchange.ledger()
        report = write_report(stack, ReportPaths.beside(tmp_path / "summary.json")).read_text()
        request_log = list(stack.exchange.request_log)
        assert run.wallet is not None
        exchange_holdings = {
            p["token_id"]: stack.exchange.position(run.wallet.address, p["token_id"]) for p in positions
        }
        wallet = rows(
            db, "SELECT wallet_id, kms_key_id, credentials_ref, key_ciphertext IS NOT NULL AS sealed FROM wallets"
        )

    # --- the data plane: the scenario went out through the public APIs, the indexer alone wrote ClickHouse --
    ids = run.trade_ids
    assert "TRADE_SOURCE" not in handler_env and "OWRR_POSITIONS" not in handler_env  # production defaults
    assert handler_env["DATA_API_URL"] == services["data_api_url"]
    passes = run.index_passes
    assert [(p.number, p.before_tick, p.status) for p in passes] == [(1, 1, "ok"), (2, 4, "ok")]
    assert passes[0].request_count > 0 and passes[0].throttled == 0
    clickhouse = summary["clickhouse"]
    assert set(clickhouse["before_first_pass"].values()) == {0}  # nothing was seeded into ClickHouse
    assert set(clickhouse["outside_indexer_passes"].values()) == {0}  # every row written during a pass
    written = Counter[str]()
    for index_pass in passes:
        written.update(index_pass.written)
    assert all(clickhouse["rows"][table] <= n for table, n in written.items())
    assert sum(trades_raw.values()) == written["trades_raw"]  # trades are never rewritten: equal
    assert all(clickhouse["rows"][t] > 0 for t in ("markets", "market_holders", "wallet_positions",
                                                   "wallet_metrics_by_category", "market_resolutions"))  # fmt: skip
    # every fill the Data API showed before the last pass is in trades_raw, once (the duplicate too)
    before_last = [tid for tid, at in run.arrived_at.items() if at < passes[-1].began_at]
    assert before_last and all(trades_raw[tid] == 1 for tid in before_last)
    assert ids[event["duplicate"].tx_hash] in before_last
    m8 = scenario.market("M8")
    assert markets[m8.condition_id] == 1  # the resolution reached ClickHouse through the pass before tick 4
    assert summary["public_api"]["throttled"] == 0 and summary["public_api"]["by_caller"]["monitor"]
    # OWRR the first time the monitor priced each market is the one designed from what was published
    owrr = summary["owrr"]
    assert set(owrr) == set(scenario.owrr_preview) and all(v["as_designed"] for v in owrr.values())
    assert all(v["first_priced"]["slider"] == v["designed"]["slider"] for v in owrr.values())

    # --- every tick ran: the monitor, the queue, the executor, the reconciler ----------------------------
    assert [r.status for r in records] == ["ok"] * TICKS
    assert len(lines) >= TICKS and all(r.error is None for r in records)
    # imported by `omegacopy wallet import`: sealed under the wallet key, credentials in Secrets Manager
    assert [(w["wallet_id"], w["credentials_ref"], w["sealed"]) for w in wallet] == [
        ("w-follower", "omegacopy/local/clob/w-follower", True)
    ]
    assert wallet[0]["kms_key_id"].startswith("arn:aws:kms:")

    # --- signals: COPY and the SKIP reasons the scenario stages ------------------------------------------
    decisions = Counter(s["decision"] for s in signals)
    reasons = Counter(s["reason_code"] for s in signals)
    assert decisions["COPY"] >= 8
    for reason in ("market_closed", "invalid_source", "stale_trade", "category_not_tracked", "no_position"):
        assert reasons[reason] >= 1, reason
    by_trade: dict[str, Counter[str]] = defaultdict(Counter)
    for s in signals:
        by_trade[s["source_trade_id"]][s["strategy_id"]] += 1
    # Invariant 3 holds across duplicates: one signal per (strategy, trade) whatever the rows.
    assert all(n == 1 for per in by_trade.values() for n in per.values())
    # the duplicate was served by every read after it appeared: one signal per strategy all the same
    assert set(by_trade[ids[event["duplicate"].tx_hash]]) == {"s-sports-fixed", "s-crypto-proportional"}
    late = ids[event["late"].tx_hash]
    assert {(s["strategy_id"], s["decision"]) for s in signals if s["source_trade_id"] == late} == {
        ("s-crypto-proportional", "COPY")
    }
    closed = {s["source_trade_id"] for s in signals if s["reason_code"] == "market_closed"}
    assert {ids[event["closed_market"].tx_hash], ids[event["resolved_market"].tx_hash]} <= closed
    stale = {s["source_trade_id"] for s in signals if s["reason_code"] == "stale_trade"}
    assert stale == {ids[event["stale"].tx_hash]}
    invalid = {s["source_trade_id"] for s in signals if s["reason_code"] == "invalid_source"}
    assert ids[event["unknown_market"].tx_hash] in invalid and len(invalid) == 2  # and the malformed row

    # --- exactly one exchange order per intent, and the ledger is the intents that reached it -----------
    assert not [i for i in intents if i["state"] in ("NEW", "SUBMITTING", "UNKNOWN")]
    by_salt = {salt_from_id(i["intent_id"]): i["intent_id"] for i in intents}
    per_intent = Counter(by_salt.get(o.salt) for o in ledger)
    assert None not in per_intent and all(n == 1 for n in per_intent.values())
    reached = {
        i["order_hash"]
        for i in intents
        if i["order_hash"] is not None  # a paper intent never reaches the exchange
        and (
            i["state"] in ("FILLED", "PARTIALLY_FILLED", "ACCEPTED")
            or (i["state"] in ("CANCELLED", "EXPIRED") and i["exchange_status"] in ("canceled", "expired"))
        )
    }
    assert {o.order_hash for o in ledger} == reached
    assert len(ledger) == summary["orders"]["ledger"] >= 8
    assert any(i["state"] == "REJECTED" and i["reason_code"] == "price_moved" and i["order_hash"] is None
               for i in intents)  # fmt: skip

    # --- positions agree with the fills on the ledger, per strategy and in the wallet -------------------
    by_hash = {i["order_hash"]: i for i in intents if i["order_hash"]}
    filled: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for o in ledger:
        intent = by_hash[o.order_hash]
        filled[(intent["strategy_id"], o.token_id)] += o.filled_shares if o.side == "BUY" else -o.filled_shares
    assert {(p["strategy_id"], p["token_id"]): Decimal(p["shares"]) for p in positions} == dict(filled)
    per_token: dict[str, Decimal] = defaultdict(Decimal)
    for p in positions:
        per_token[p["token_id"]] += Decimal(p["shares"])
    assert per_token == exchange_holdings

    # --- an exit reduced a position -----------------------------------------------------------------------
    exits = [i for i in intents if i["is_exit"] and i["state"] == "FILLED" and i["order_hash"]]
    assert exits
    for intent in exits:
        bought = sum((o.filled_shares for o in ledger if o.side == "BUY" and o.token_id == intent["token_id"]
                      and by_hash[o.order_hash]["strategy_id"] == intent["strategy_id"]), Decimal(0))  # fmt: skip
        held = next(Decimal(p["shares"]) for p in positions
                    if (p["strategy_id"], p["token_id"]) == (intent["strategy_id"], intent["token_id"]))  # fmt: skip
        assert 0 <= held < bought

    # --- the paper twin of S1: the same decisions, filled on paper; the exchange saw none of it ---------------
    copied = {st: {s["source_trade_id"] for s in signals if s["strategy_id"] == st and s["decision"] == "COPY"}
              for st in ("s-politics-owrr", "s-politics-paper")}  # fmt: skip
    assert copied["s-politics-paper"] and copied["s-politics-paper"] == copied["s-politics-owrr"]
    assert all(i["paper"] and i["order_hash"] is None for i in paper)
    assert any(i["state"] == "FILLED" for i in paper) and all(p["paper"] for p in paper_positions)
    twin_hashes = {i["order_hash"] for i in intents if i["strategy_id"] == "s-politics-paper"}
    assert twin_hashes == {None} and not {o.salt for o in ledger} & {salt_from_id(i["intent_id"]) for i in paper}
    posts = [r for r in request_log if r.method == "POST" and r.path == "/order"]
    assert len(posts) == len(ledger) + sum(1 for i in intents if i["state"] == "REJECTED" and i["order_hash"])

    # --- the terminal and the report show the same numbers -----------------------------------------------
    total = summary["pnl"]["total"]
    # the total is money: the paper twin's P&L stands apart, never added in
    assert total["mode"] == "live" and summary["pnl"]["total paper"]["mode"] == "paper"
    live_realized = sum(Decimal(p["realized_pnl_usd"]) for k, p in summary["pnl"].items() if p.get("mode") == "live"
                        and not k.startswith("total"))  # fmt: skip
    assert abs(Decimal(total["realized_pnl_usd"]) - live_realized) <= Decimal("0.05")  # each row in cents
    for label, key in (("Realized P&amp;L", "realized_pnl_usd"), ("Unrealized P&amp;L", "unrealized_pnl_usd")):
        tone_class = f" {_tone(total[key])}" if _tone(total[key]) else ""
        card = f'<div class="label">{label}</div><div class="value{tone_class}">{_money(total[key])}</div>'
        assert card in report, (label, total[key])
    p50_s = summary["latency_ms"]["trade_to_order"]["p50"] / 1000
    hint = re.search(r"p50 ([0-9.]+) s, p95 ([0-9.]+) s, n = (\d+)", report)
    assert hint and abs(float(hint.group(1)) - p50_s) < 0.051
    assert int(hint.group(3)) == summary["latency_ms"]["trade_to_order"]["n"]
    assert '<span class="badge paper">local · paper exchange</span>' in report and summary["mode"] == "paper + live"

    checks = summary["checks"]
    assert all(v for k, v in checks.items() if k != "details"), checks["details"]
    # the run's HTML report: self-contained, with its charts
    assert report.count("<svg") >= 4
    assert "Indexer passes" in report  # the run's two passes, from indexer_runs
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", report)  # nothing fetched from elsewhere
    assert summary["queue"] == {"visible": 0, "in_flight": 0, "dlq": 0}
    live_orders = {i["order_hash"] for i in intents if i["order_hash"]}
    assert summary["latency_ms"]["trade_to_order"]["n"] == len(live_orders) + sum(
        1 for i in paper if i["filled_shares"] > 0
    )

    # --- nothing outlives the stack -------------------------------------------------------------------------
    assert not pid_running(services["clickhouse_pid"])
    assert services["postgres_pid"] is not None and not pid_running(services["postgres_pid"])
    assert not Path(services["postgres_dir"]).exists()
    assert not port_open(services["moto_endpoint"]) and not port_open(services["paper_exchange_url"])
    assert not port_open(services["data_api_url"]) and not port_open(services["gamma_api_url"])
    assert dict(os.environ) == env_before


def test_ctrl_c_stops_the_command_and_its_stack(tmp_path: Path) -> None:
    summary_path = tmp_path / "summary.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "omegacopy.cli", "run", "--ticks", "2", "--speed", "0", "--seed", "3",
         "--summary-json", str(summary_path), "--keep"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=default_sigint,  # noqa: PLW1509 - as a terminal's foreground job has it, whatever ours is
    )  # fmt: skip
    output: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if line.startswith("  commands "):  # the last line of how to reach the kept stack
                break
        assert summary_path.exists(), "".join(output)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        output.append(rest)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(output)
    assert proc.returncode == 130, text
    assert "interrupted: the stack is stopped" in text
    assert "public APIs     Polymarket emulator: Data API http://127.0.0.1:" in text
    local_env = (tmp_path / "local.env").read_text()
    assert "DATA_API_URL=http://127.0.0.1:" in local_env and "GAMMA_API_URL=http://127.0.0.1:" in local_env
    stack = json.loads(summary_path.read_text())["stack"]
    assert not pid_running(stack["clickhouse_pid"]) and not pid_running(stack["postgres_pid"])
    assert not Path(stack["postgres_dir"]).exists()
    assert not port_open(stack["moto_endpoint"]) and not port_open(stack["paper_exchange_url"])
    assert not port_open(stack["data_api_url"])
    assert (tmp_path / "ledger.json").exists() and (tmp_path / "lambda.log").exists()


def _money(text: str) -> str:
    """As the report prints money."""
    return money(Decimal(text))


def _tone(text: str) -> str:
    return tone(Decimal(text))
