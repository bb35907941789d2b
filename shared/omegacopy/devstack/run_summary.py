"""The local run's summary: what happened, from PostgreSQL, ClickHouse, the public-API emulator's
request log and the paper exchange's ledger.

`build_summary` gathers what the indexer fetched and wrote, signals, intents, orders, positions,
P&L, latencies and the invariant checks into one JSON-able document; `format_summary` turns it into
the lines `omegacopy run` prints. Positions, P&L and the trade → order latency are the live numbers
(`reporting.live_numbers`), the very ones the run's HTML report shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg.rows import dict_row

from omegacopy.adapters.pg_report_source import PgReportSource
from omegacopy.devstack.clickhouse_audit import WRITE_STAMPS, rows_outside, table_rows
from omegacopy.devstack.paper import PaperExchange
from omegacopy.devstack.public_api import PublicApiEmulator
from omegacopy.devstack.run_records import FollowerWallet, IndexPass, TickRecord
from omegacopy.devstack.scenario import INDEX_EVERY_TICKS, TICK_SPACING_S, Scenario
from omegacopy.domain.money import ZERO, to_cents
from omegacopy.domain.order_v2 import salt_from_id
from omegacopy.reporting.live_numbers import LiveNumbers, compute, percentile


class SummaryStack(Protocol):
    """What the summary reads of the local stack (`local_run.LocalStack`)."""

    @property
    def exchange(self) -> PaperExchange: ...

    @property
    def public_api(self) -> PublicApiEmulator: ...

    @property
    def queue_url(self) -> str: ...

    @property
    def dlq_url(self) -> str: ...

    @property
    def timings(self) -> Any: ...  # a dataclass of start-up seconds

    def aws(self, service: str) -> Any: ...

    def services(self) -> dict[str, Any]: ...

    def ch_client(self) -> Any: ...


class SummaryRun(Protocol):
    """What the summary reads of a run (`local_run.LocalRun`)."""

    @property
    def stack(self) -> SummaryStack: ...

    @property
    def scenario(self) -> Scenario: ...

    @property
    def db(self) -> psycopg.Connection[Any]: ...

    @property
    def wallet(self) -> FollowerWallet | None: ...

    @property
    def records(self) -> Sequence[TickRecord]: ...

    @property
    def index_passes(self) -> Sequence[IndexPass]: ...

    @property
    def arrived_at(self) -> Mapping[str, datetime]: ...

    @property
    def published(self) -> Mapping[str, int]: ...

    @property
    def clickhouse_before(self) -> Mapping[str, int]: ...

    @property
    def speed(self) -> float: ...

    @property
    def setup_s(self) -> float: ...

    @property
    def ticks_s(self) -> float: ...


def build_summary(
    run: SummaryRun, *, stack_started_s: float, total_s: float | None, numbers: LiveNumbers | None = None
) -> dict[str, Any]:
    stack, sc, db = run.stack, run.scenario, run.db
    numbers = numbers or live_numbers(db)
    ledger = stack.exchange.ledger()
    with db.cursor(row_factory=dict_row) as cur:
        signals = cur.execute(
            "SELECT strategy_id, source_trade_id, decision, reason_code FROM wallet_monitor_signals"
        ).fetchall()
        intents = cur.execute(
            "SELECT intent_id::text AS intent_id, strategy_id, source_trade_id, action, is_exit, token_id, state,"
            " reason_code, exchange_status, order_hash, created_at, submitted_at, filled_shares, filled_usd,"
            " usd_amount, shares, paper"
            " FROM order_intents ORDER BY created_at"
        ).fetchall()
        positions = cur.execute(
            "SELECT strategy_id, token_id, shares, paper FROM strategy_positions ORDER BY strategy_id, token_id"
        ).fetchall()
        ticks = cur.execute("SELECT sum(trades_seen) AS seen FROM monitor_ticks").fetchone()
        first_pricing = cur.execute(
            "SELECT DISTINCT ON (condition_id) condition_id, slider FROM wallet_monitor_signals"
            " WHERE action = 'BUY' AND slider IS NOT NULL ORDER BY condition_id, signal_id"
        ).fetchall()
        first_confidence = cur.execute(
            "SELECT DISTINCT ON (condition_id) condition_id, confidence FROM wallet_monitor_signals"
            " WHERE action = 'BUY' AND confidence IS NOT NULL ORDER BY condition_id, signal_id"
        ).fetchall()

    by_reason = Counter(s["reason_code"] for s in signals if s["decision"] == "SKIP")
    per_strategy: dict[str, dict[str, Any]] = defaultdict(lambda: {"COPY": 0, "SKIP": 0, "reasons": Counter()})
    for s in signals:
        entry = per_strategy[s["strategy_id"]]
        entry[s["decision"]] += 1
        entry["reasons"][s["reason_code"]] += 1

    on_paper = [i for i in intents if i["paper"]]
    intents_live = [i for i in intents if not i["paper"]]
    reached = [i for i in intents_live if reached_exchange(i)]
    states = Counter(i["state"] for i in intents_live)
    rejected = [i for i in intents_live if i["state"] == "REJECTED"]
    ledger_status = Counter(o.status for o in ledger)

    position_rows, pnl = _positions_and_pnl(sc, numbers)
    indexer = _indexer(run.index_passes)
    public_api = _public_api(stack, run.index_passes)
    clickhouse = _clickhouse(run)
    owrr = _owrr(sc, first_pricing, first_confidence)
    checks = _checks(stack, run, intents, ledger, positions)
    details = checks.pop("details")
    checks.update(_data_checks(signals, indexer, public_api, clickhouse, owrr))
    checks["details"] = details

    published_ms: list[float] = []
    queued_ms: list[float] = []
    for i in intents:
        arrived = run.arrived_at.get(i["source_trade_id"])
        if i["submitted_at"] is not None and arrived is not None:
            published_ms.append((i["submitted_at"] - arrived).total_seconds() * 1000)
        if i["submitted_at"] is not None:
            queued_ms.append((i["submitted_at"] - i["created_at"]).total_seconds() * 1000)
    resolutions = [
        {
            "market": m.key,
            "question": m.question,
            "resolution": None if m.resolution is None else m.outcome_name(m.resolution),
            "before_tick": (m.resolves_before_tick or 0) + 1,
            "how": "resolved on Gamma; the indexer's next pass wrote it to ClickHouse `markets` (the monitor SKIPs "
            "market_closed from then on); the paper exchange models no settlement, so its books were emptied (nothing "
            "trades there) and positions are valued at the payout (1 for the winning outcome, 0 for the other) without "
            "being redeemed",
        }
        for m in sc.markets
        if m.resolves_before_tick is not None and m.resolves_before_tick < sc.ticks
    ]
    dlq = stack.aws("sqs").get_queue_attributes(QueueUrl=stack.dlq_url, AttributeNames=["All"])["Attributes"]
    queue = stack.aws("sqs").get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["All"])["Attributes"]
    return {
        "run": {
            "seed": sc.seed,
            "ticks": sc.ticks,
            "speed": run.speed,
            "tick_spacing_real_s": TICK_SPACING_S / run.speed if run.speed > 0 else 0.0,
            "stack_start_s": stack_started_s,
            "stack_start_detail_s": asdict(stack.timings),
            "setup_s": run.setup_s,
            "ticks_s": run.ticks_s,
            "total_s": total_s,
            "finished_at": datetime.now(UTC).isoformat(),
        },
        "stack": stack.services(),
        "follower": asdict(run.wallet) if run.wallet else None,
        "scenario": sc.describe(),
        "indexer": indexer,
        "public_api": public_api,
        "clickhouse": clickhouse,
        "owrr": owrr,
        "trades": {
            "seen": int(ticks["seen"] or 0) if ticks else 0,
            "published": dict(sorted(run.published.items())),
            "invalid_rows": len({s["source_trade_id"] for s in signals if s["reason_code"] == "invalid_source"}),
        },
        "signals": {
            "total": len(signals),
            "copy": sum(1 for s in signals if s["decision"] == "COPY"),
            "skip": sum(1 for s in signals if s["decision"] == "SKIP"),
            "skip_by_reason": dict(by_reason.most_common()),
            "by_strategy": {
                k: {"COPY": v["COPY"], "SKIP": v["SKIP"], "by_reason": dict(v["reasons"].most_common())}
                for k, v in sorted(per_strategy.items())
            },
        },
        "intents": {
            "total": len(intents),
            "by_state": dict(Counter(i["state"] for i in intents).most_common()),
            "rejected_by_reason": dict(
                Counter(i["reason_code"] for i in intents if i["state"] == "REJECTED").most_common()
            ),
        },
        "paper": {
            "intents": len(on_paper),
            "by_state": dict(Counter(i["state"] for i in on_paper).most_common()),
            "filled_usd": str(sum((Decimal(i["filled_usd"]) for i in on_paper), ZERO)),
        },
        "orders": {
            "ledger": len(ledger),
            "accepted": len(reached),
            "rejected": len(rejected),
            "rejected_before_the_exchange": sum(1 for i in rejected if i["order_hash"] is None),
            "rejected_by_the_exchange": sum(1 for i in rejected if i["order_hash"] is not None),
            "filled": states.get("FILLED", 0),
            "partially_filled": states.get("PARTIALLY_FILLED", 0),
            "resting": states.get("ACCEPTED", 0),
            "ledger_by_status": dict(ledger_status),
            "bought_usd": str(sum((o.filled_usd for o in ledger if o.side == "BUY"), ZERO)),
            "sold_usd": str(sum((o.filled_usd for o in ledger if o.side == "SELL"), ZERO)),
        },
        "mode": numbers.mode,
        "positions": position_rows,
        "pnl": pnl,
        "latency_ms": {
            "tick": _stats([r.tick_ms for r in run.records]),
            "monitor": _stats([r.monitor_ms for r in run.records]),
            "executor": _stats([r.executor_ms for r in run.records]),
            "reconciler": _stats([r.reconciler_ms for r in run.records]),
            "trade_to_order": _stats([v * 1000 for v in numbers.rows.latencies_s]),
            "trade_to_order_note": "the leader's trade (block time) -> our order at the exchange, as the HTML report "
            "computes it (reporting.live_numbers); includes the compressed wait before the tick",
            "published_to_order": _stats(published_ms),
            "published_to_order_note": "leader fill visible on the Data API -> order POST",
            "intent_to_order": _stats(queued_ms),
            "intent_to_order_note": "intent committed by the monitor -> order POST (SQS, executor, risk, KMS, signing)",
        },
        "queue": {
            "visible": int(queue.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(queue.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "dlq": int(dlq.get("ApproximateNumberOfMessages", 0)),
        },
        "resolutions": resolutions,
        "checks": checks,
        "ticks": [asdict(r) for r in run.records],
    }


def reached_exchange(intent: Mapping[str, Any]) -> bool:
    """The intent's order was booked by the exchange (whatever happened to it afterwards)."""
    if intent.get("order_hash") is None:  # never signed (refused first, or a paper intent)
        return False
    if intent["state"] in ("FILLED", "PARTIALLY_FILLED", "ACCEPTED"):
        return True
    return intent["state"] in ("CANCELLED", "EXPIRED") and intent.get("exchange_status") in (
        "canceled", "cancelled", "expired"
    )  # fmt: skip


def _stats(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pct(p: float) -> float:
        return round(percentile(ordered, p) or 0.0, 1)  # the report's percentile

    return {"n": len(values), "p50": pct(0.5), "p95": pct(0.95), "max": round(ordered[-1], 1),
            "mean": round(sum(values) / len(values), 1)}  # fmt: skip


def live_numbers(db: Any) -> LiveNumbers:
    """The run's live numbers, from its PostgreSQL: what the report shows."""
    return compute(PgReportSource(db).rows())


def _positions_and_pnl(sc: Scenario, numbers: LiveNumbers) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in numbers.rows.positions:
        found = sc.market_of_token(p.token_id)
        rows.append(
            {
                "strategy_id": p.strategy_id,
                "paper": p.paper,
                "market": found[0].key if found else p.condition_id,
                "outcome": found[0].outcome_name(found[1]) if found else "?",
                "token_id": p.token_id,
                "shares": str(p.shares),
                "avg_entry_price": str(p.avg_entry_price),
                "cost_usd": str(p.cost_usd),
                "mark": str(p.avg_entry_price if p.mark is None else p.mark),
                "mark_source": p.mark_source or "cost",
                "value_usd": str(to_cents(p.value_usd)),
                "unrealized_pnl_usd": str(to_cents(p.unrealized_usd)),
                "realized_pnl_usd": str(p.realized_usd),
            }
        )
    pnl: dict[str, Any] = {}
    for n in numbers.strategies:
        entry: dict[str, Any] = {
            "name": n.row.name,
            "mode": "paper" if n.row.paper else "live",
            "paused": n.row.paused_reason,
            "starting_balance_usd": n.row.starting_usd,
            "cash_usd": n.row.cash_usd,
            "positions_value_usd": n.positions_value_usd,
            "realized_pnl_usd": n.realized_usd,
            "unrealized_pnl_usd": n.unrealized_usd,
            "total_pnl_usd": n.total_usd,
            "equity_usd": n.equity_usd,
        }
        pnl[n.strategy_id] = {k: (str(to_cents(v)) if isinstance(v, Decimal) else v) for k, v in entry.items()}
    # the total is money (the live strategies'); paper strategies' sums stand apart
    pnl["total"] = {**_total_entry(numbers.totals), "mode": numbers.totals_cover}
    if numbers.paper_totals is not None:
        pnl["total paper"] = {**_total_entry(numbers.paper_totals), "mode": "paper"}
    return rows, pnl


def _total_entry(t: Mapping[str, Decimal]) -> dict[str, Any]:
    return {
        "starting_balance_usd": str(to_cents(t["starting_usd"])),
        "cash_usd": str(to_cents(t["cash_usd"])),
        "positions_value_usd": str(to_cents(t["positions_value_usd"])),
        "realized_pnl_usd": str(to_cents(t["realized_usd"])),
        "unrealized_pnl_usd": str(to_cents(t["unrealized_usd"])),
        "total_pnl_usd": str(to_cents(t["total_usd"])),
        "equity_usd": str(to_cents(t["equity_usd"])),
    }


def _checks(
    stack: SummaryStack,
    run: SummaryRun,
    intents: list[dict[str, Any]],
    ledger: list[Any],
    positions: list[dict[str, Any]],
) -> dict[str, Any]:
    """The invariants, checked against the paper exchange's ground truth."""
    salts = {salt_from_id(i["intent_id"]): i for i in intents}
    per_intent = Counter(salts[o.salt]["intent_id"] for o in ledger if o.salt in salts)
    hashes = {i["order_hash"] for i in intents if i["order_hash"]}
    on_exchange = {i["order_hash"] for i in intents if reached_exchange(i)}
    ledger_hashes = {o.order_hash for o in ledger}
    positions = [p for p in positions if not p["paper"]]  # paper shares were never bought
    held: dict[str, Decimal] = defaultdict(Decimal)
    for p in positions:
        held[p["token_id"]] += Decimal(p["shares"])
    wallet = run.wallet.address if run.wallet else ""
    mismatched = {
        t: {"strategies": str(s), "exchange": str(stack.exchange.position(wallet, t))}
        for t, s in held.items()
        if wallet and stack.exchange.position(wallet, t) != s
    }
    fills: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    by_hash = {i["order_hash"]: i for i in intents if i["order_hash"]}
    for o in ledger:
        intent = by_hash.get(o.order_hash)
        if intent is not None:
            fills[(intent["strategy_id"], o.token_id)] += o.filled_shares if o.side == "BUY" else -o.filled_shares
    strategy_mismatch = {
        f"{p['strategy_id']} {p['token_id'][:12]}…": {"position": str(p["shares"]),
                                                      "ledger": str(fills[(p["strategy_id"], p["token_id"])])}
        for p in positions
        if Decimal(p["shares"]) != fills[(p["strategy_id"], p["token_id"])]
    }  # fmt: skip
    return {
        "one_ledger_order_per_intent": all(n == 1 for n in per_intent.values()) and len(ledger_hashes) == len(ledger),
        "every_ledger_order_is_an_intent": ledger_hashes <= hashes,
        "ledger_equals_intents_on_the_exchange": ledger_hashes == on_exchange,
        "positions_match_exchange": not mismatched,
        "positions_match_ledger_fills": not strategy_mismatch,
        "details": {"exchange_mismatch": mismatched, "ledger_mismatch": strategy_mismatch},
    }


def _indexer(passes: Sequence[IndexPass]) -> dict[str, Any]:
    """Every pass, and the run's totals."""
    written: Counter[str] = Counter()
    requests: Counter[str] = Counter()
    for p in passes:
        written.update(p.written)
        requests.update(p.requests)
    lags = [p.lag_s for p in passes if p.lag_s is not None]
    first = passes[0] if passes else None
    return {
        "every_ticks": INDEX_EVERY_TICKS,
        "passes": [{**asdict(p), "request_count": p.request_count} for p in passes],
        "requests": sum(requests.values()),
        "requests_by_route": dict(requests.most_common()),
        "throttled": sum(p.throttled for p in passes),
        "written": dict(written),
        "rejected_rows": sum(p.rejected_rows for p in passes),
        "max_lag_s": max(lags) if lags else None,
        "first_pass_s": round(first.duration_ms / 1000, 3) if first else None,
        "first_pass_requests": first.request_count if first else 0,
    }


def _public_api(stack: SummaryStack, passes: Sequence[IndexPass]) -> dict[str, Any]:
    """Every request the emulator answered, by caller: the indexer's fall inside its passes, the
    rest are the monitor's (nothing else calls the public APIs during a run)."""
    api = stack.public_api
    windows = [(p.began_at.timestamp(), p.ended_at.timestamp()) for p in passes]
    by_caller: dict[str, Counter[str]] = {"monitor": Counter(), "indexer": Counter()}
    throttled = failed = 0
    log = api.request_log
    for r in log:
        caller = "indexer" if any(start <= r.at <= end for start, end in windows) else "monitor"
        by_caller[caller][f"{r.host} {r.path}"] += 1
        throttled += r.status == 429
        failed += r.status is None or r.status >= 500
    return {
        "requests": len(log),
        "by_caller": {k: dict(v.most_common()) for k, v in by_caller.items()},
        "throttled": throttled,
        "failed": failed,
        "limits_per_window": dict(sorted(api.limits.items())),
        "window_s": api.window_s,
    }


def _clickhouse(run: SummaryRun) -> dict[str, Any]:
    """Who wrote ClickHouse: every table empty before the first pass; every row after the run
    stamped inside a pass; no table with more rows than the passes reported writing there."""
    ch = run.stack.ch_client()
    rows = table_rows(ch)
    outside = rows_outside(ch, [(p.began_at, p.ended_at) for p in run.index_passes])
    reported: Counter[str] = Counter()
    for p in run.index_passes:
        reported.update(p.written)
    bound = {**reported, "market_resolutions": reported["markets"]}  # a resolution row goes with its market's row
    over = {t: n for t, n in rows.items() if t in WRITE_STAMPS and n > bound.get(t, 0)}
    only = not any(run.clickhouse_before.values()) and not any(outside.values()) and not over and bool(run.index_passes)
    return {
        "before_first_pass": run.clickhouse_before,
        "rows": rows,
        "reported_by_indexer": dict(reported),
        "outside_indexer_passes": outside,
        "more_than_reported": over,
        "written_only_by_the_indexer": only,
    }


def _owrr(sc: Scenario, sliders: list[dict[str, Any]], confidences: list[dict[str, Any]]) -> dict[str, Any]:
    """Each market's OWRR the first time the monitor priced it (its first BUY signal) against the
    design (computed from what was published, as the indexer would store it)."""
    slider_of = {r["condition_id"]: r["slider"] for r in sliders}
    confidence_of = {r["condition_id"]: r["confidence"] for r in confidences}
    out: dict[str, Any] = {}
    for m in sc.markets:
        designed = sc.owrr_preview.get(m.key)
        if designed is None:
            continue
        slider, confidence = slider_of.get(m.condition_id), confidence_of.get(m.condition_id)
        out[m.key] = {
            "designed": {"slider": designed[0], "confidence": designed[1]},
            "first_priced": {"slider": slider, "confidence": confidence},
            "as_designed": (slider is None or slider == designed[0])
            and (confidence is None or confidence == designed[1]),
        }
    return out


def _data_checks(
    signals: list[dict[str, Any]],
    indexer: dict[str, Any],
    public_api: dict[str, Any],
    clickhouse: dict[str, Any],
    owrr: dict[str, Any],
) -> dict[str, bool]:
    """The data plane's invariants: the indexer alone filled ClickHouse, and it was enough to copy."""
    return {
        "copy_decisions_above_zero": any(s["decision"] == "COPY" for s in signals),
        "clickhouse_written_only_by_the_indexer": bool(clickhouse["written_only_by_the_indexer"]),
        "indexer_passes_ok": bool(indexer["passes"]) and all(p["status"] == "ok" for p in indexer["passes"]),
        "public_api_never_throttled": public_api["throttled"] == 0,
        "owrr_as_designed": all(v["as_designed"] for v in owrr.values()),
    }


def format_summary(summary: dict[str, Any], summary_path: Path, ledger_path: Path) -> list[str]:
    """The lines `omegacopy run` prints at the end."""
    run, sig, intents, orders = summary["run"], summary["signals"], summary["intents"], summary["orders"]
    lat, checks, trades = summary["latency_ms"], summary["checks"], summary["trades"]
    d = run["stack_start_detail_s"]
    pace = f"{run['speed']:g}x" if run["speed"] else "full speed (no pause)"
    rejected = ", ".join(f"{k} {v}" for k, v in intents["rejected_by_reason"].items())
    lines = [
        "",
        "═══ summary ═══",
        f"stack       up in {run['stack_start_s']:.1f} s (postgres {d['postgres_s']:.1f} · clickhouse "
        f"{d['clickhouse_s']:.1f} · moto {d['moto_s']:.1f} · paper exchange {d['paper_exchange_s']:.1f} · public "
        f"APIs {d['public_api_s']:.1f} · schema {d['schema_s']:.1f} · aws resources {d['aws_resources_s']:.1f})",
        f"run         {run['ticks']} ticks in {run['ticks_s']:.1f} s at {pace}; setup {run['setup_s']:.1f} s "
        f"(incl. the first indexer pass); total {run['total_s'] or 0:.1f} s",
        *_data_lines(summary),
        f"trades      {trades['seen']} seen ({trades['invalid_rows']} invalid); leader fills published during the run: "
        + ", ".join(f"{k} {v}" for k, v in trades["published"].items()),
        f"signals     {sig['total']}: COPY {sig['copy']} · SKIP {sig['skip']}",
        "            SKIP " + ", ".join(f"{k} {v}" for k, v in sig["skip_by_reason"].items()),
        f"intents     {intents['total']}: "
        + ", ".join(f"{k} {v}" for k, v in intents["by_state"].items())
        + (f"; rejected: {rejected}" if rejected else ""),
        f"paper       {summary['paper']['intents']} intents filled on paper, never sent: "
        + (", ".join(f"{k} {v}" for k, v in summary["paper"]["by_state"].items()) or "none"),
        f"orders      exchange ledger {orders['ledger']}: accepted {orders['accepted']}, rejected {orders['rejected']} "
        f"({orders['rejected_before_the_exchange']} pre-trade, {orders['rejected_by_the_exchange']} by the exchange)"
        f", filled {orders['filled']}, partially {orders['partially_filled']}, resting {orders['resting']}",
        f"            bought ${_money(orders['bought_usd'])}, sold ${_money(orders['sold_usd'])}",
        "signals per strategy",
    ]
    for sid, st in sig["by_strategy"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in st["by_reason"].items())
        lines.append(f"  {sid:<22} COPY {st['COPY']:>2} SKIP {st['SKIP']:>2}  ({reasons})")
    lines.append(
        "positions   strategy               market outcome   shares   avg  mark       value  unrealized  realized"
    )
    for p in summary["positions"]:
        star = " " if p["mark_source"] in ("book", "last_trade") else "*"
        lines.append(
            f"            {p['strategy_id']:<22} {p['market']:<6} {p['outcome']:<4} {_num(p['shares']):>10} "
            f"{_num(p['avg_entry_price'], 2):>5} {_num(p['mark'], 3):>5}{star} {_money(p['value_usd']):>10} "
            f"{_money(p['unrealized_pnl_usd']):>11} {_money(p['realized_pnl_usd']):>9}"
        )
    lines.append("            (mark: the reconciler's mark-to-market price; * a resolution's payout, or cost unpriced)")
    header = "P&L         strategy               realized  unrealized     total        equity"
    lines.append(f"{header}  ({summary['mode']})")
    for sid, p in summary["pnl"].items():
        mode = f"  {p['mode']}" if "mode" in p else ""
        lines.append(
            f"            {sid:<22} {_money(p['realized_pnl_usd']):>9} {_money(p['unrealized_pnl_usd']):>11} "
            f"{_money(p['total_pnl_usd']):>9} {_money(p['equity_usd']):>13}{mode}"
        )
    tick, t2o, i2o = lat["tick"], lat["trade_to_order"], lat["intent_to_order"]
    on_paper = sum(n for state, n in summary["paper"]["by_state"].items() if state in ("FILLED", "PARTIALLY_FILLED"))
    passed = " · ".join(f"{k.replace('_', ' ')} {'✓' if v else '✗'}" for k, v in checks.items() if k != "details")
    queue = summary["queue"]
    lines += [
        f"latency     tick p50 {_ms(tick, 'p50')} p95 {_ms(tick, 'p95')} max {_ms(tick, 'max')} (p50: monitor "
        f"{_ms(lat['monitor'], 'p50')}, executor {_ms(lat['executor'], 'p50')}, reconciler "
        f"{_ms(lat['reconciler'], 'p50')})",
        f"            trade→order p50 {_ms(t2o, 'p50')} p95 {_ms(t2o, 'p95')} max {_ms(t2o, 'max')} over "
        f"{t2o.get('n', 0)} orders, {on_paper} of them on paper (leader's trade → order at the exchange or the "
        "fill model's answer, as in the report; incl. the compressed wait)",
        f"            intent→order p50 {_ms(i2o, 'p50')} p95 {_ms(i2o, 'p95')} max {_ms(i2o, 'max')} (monitor's commit "
        "→ POST: SQS, executor, pre-trade risk, KMS unwrap, signing)",
        f"checks      {passed} · queue {queue['visible']} left, DLQ {queue['dlq']}",
    ]
    for r in summary["resolutions"]:
        lines.append(f"resolution  {r['market']} → {r['resolution']} before tick {r['before_tick']}: {r['how']}")
    lines += [
        f"files       summary {summary_path}",
        f"            exchange ledger {ledger_path}",
        f"            handler logs and EMF metrics {summary_path.parent / 'lambda.log'}",
    ]
    return lines


def _data_lines(summary: dict[str, Any]) -> list[str]:
    """What the indexer fetched and wrote, who asked the public APIs, who wrote ClickHouse, OWRR."""
    ix, api, ch, owrr = summary["indexer"], summary["public_api"], summary["clickhouse"], summary["owrr"]
    lag = "-" if ix["max_lag_s"] is None else f"{ix['max_lag_s']:.1f} s"
    lines = [
        f"indexer     {len(ix['passes'])} passes (before the first tick, then every {ix['every_ticks']} ticks): "
        f"{ix['requests']} requests, {ix['throttled']} x 429, {ix['rejected_rows']} rows rejected; first pass "
        f"{ix['first_pass_s'] or 0:.2f} s, {ix['first_pass_requests']} requests; lag at most {lag}",
        "            wrote " + " · ".join(f"{t} {n:,}" for t, n in ix["written"].items()),
    ]
    for p in ix["passes"]:
        where = "first tick" if p["before_tick"] == 1 else f"tick {p['before_tick']}"
        routes = ", ".join(f"{r} {n}" for r, n in p["requests"].items())
        written = " · ".join(f"{t} {n:,}" for t, n in p["written"].items() if n)
        lines.append(
            f"            pass {p['number']} before {where}: {p['status']} in {p['duration_ms'] / 1000:.2f} s, "
            f"{p['request_count']} requests ({routes}){f'; wrote {written}' if written else ''}"
        )
    callers = " · ".join(
        f"{caller} {sum(routes.values())} ({', '.join(f'{r} {n}' for r, n in routes.items())})"
        for caller, routes in api["by_caller"].items()
    )
    lines.append(f"public API  {callers}; {api['throttled']} x 429, {api['failed']} failed")
    outside = sum(ch["outside_indexer_passes"].values())
    lines.append(
        "clickhouse  rows "
        + ", ".join(f"{t} {n:,}" for t, n in ch["rows"].items() if n)
        + f": {sum(ch['before_first_pass'].values())} before the first pass, {outside} stamped outside the indexer's "
        "passes, none beyond what it reported writing"
        + ("" if not ch["more_than_reported"] else f" except {ch['more_than_reported']}")
    )
    marks = ", ".join(
        f"{k} {v['first_priced']['slider']}/{v['first_priced']['confidence'] or '-'}"
        f"{' ✓' if v['as_designed'] else ' ✗ (designed ' + str(v['designed']['slider']) + ')'}"
        for k, v in owrr.items()
        if v["first_priced"]["slider"] is not None
    )
    lines.append(f"owrr        first pricing (slider/confidence) vs the design: {marks}")
    return lines


def _num(text: str, places: int | None = None) -> str:
    value = float(text)
    return f"{value:.{places}f}" if places is not None else f"{value:,.2f}"


def _money(text: str) -> str:
    return f"{float(text) + 0.0:,.2f}"  # + 0.0: never "-0.00"


def _ms(stats: dict[str, Any], key: str) -> str:
    value = stats.get(key)
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"
