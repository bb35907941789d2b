"""Executor soak: 10,000 intents through `execute_intent` with redeliveries, crashes and lost replies.

Drives the use case directly (moto's SQS is too slow for volume; the queue is simulated here)
against real PostgreSQL, moto KMS/Secrets Manager and the paper exchange:

- several follower wallets (FIFO groups) and strategies, interleaved; deep books; small tickets
  (FAK, some FOK), exit sells of shares bought earlier (refused if not held yet), ~3 % passive
  GTC/GTD orders that rest on the book, and ~3 % the pre-trade risk must refuse (price moved,
  above the max order value);
- 20 % of messages are delivered again 1-3 times, at random later points (also long after the
  intent finished): at-least-once delivery, not in order;
- 5 % of executions die right after the POST returned (`SimulatedCrash` from the edge wrapper
  around the real CLOB client: nothing after the POST runs); the message comes back later, as
  after a visibility timeout;
- 5 % of POST /order replies are dropped after the exchange booked the order (the paper
  exchange's DROP_AFTER_ACCEPT fault), for the whole run;
- one market in five charges taker fees; ~2 % of intents are for a market the exchange has no
  book for (404), and one busy market resolves mid-run (its resting orders cancelled, its book
  gone); two wallets' API keys are rotated mid-run (the running clients hold the old ones);
- halfway through, two markets resolve (YES wins): the exchange cancels our resting orders there,
  and `settle_resolved` settles every position once at its payout; fills that still arrive there
  are settled later;
- then `reconcile` three times, the clock moved past the grace period before each, each followed
  by the reconciler's fee booking; settlement once more, four redemption runs (`redeem`) against a
  node in memory (`soak_chain`) that loses 10 % of broadcasts before its pool and 10 % of replies
  after it, blocks mined between runs, and the redeemed collateral paid into each wallet at the
  exchange; the balance check runs before the stream and after the end.

Prints `duplicates` (exchange orders beyond one per intent, plus orders no intent owns),
`non_terminal_after_3_reconciles` (intents left NEW / SUBMITTING / UNKNOWN / LOST; a passive
order resting as ACCEPTED is settled for this purpose), `unbooked_fills` (orders the exchange
filled further than their intent booked), `balance_drift_usd` (each wallet's pUSD and shares at
the exchange against the books, summed, computed from the exchange's ledger), `orders`, the run's
size and time, and diagnostics. Goal: 0, 0, 0 and 0.

    python -m benchmarks.executor_soak [--intents 10000] [--seed 7] [--reconcile-batch-limit 200]

On 2 cores the default run takes about 3-6 minutes (45-100 executions/s single-threaded, with
the machine shared or not).
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from benchmarks.executor_world import (
    CENT,
    ControlledClock,
    Market,
    PostProbe,
    SimulatedCrash,
    World,
    executor_world,
    quiet,
)
from benchmarks.soak_chain import SoakChain, position_holdings
from omegacopy.adapters.pg_balances import PgBalanceStore
from omegacopy.adapters.pg_executor_store import PgExecutorStore
from omegacopy.adapters.pg_redemptions import PgRedemptionStore
from omegacopy.adapters.pg_settlements import PgSettlementStore
from omegacopy.app.balance_check import check_balances
from omegacopy.app.execute_intent import ExecutorDeps, execute_intent
from omegacopy.app.fees import book_fees
from omegacopy.app.reconcile import ReconcileSettings, reconcile
from omegacopy.app.redeem import RedemptionDeps, redeem
from omegacopy.app.settle_resolved import SettlementDeps, settle_resolved
from omegacopy.devstack.paper import FaultMode, LedgerOrder
from omegacopy.domain.intent import TERMINAL_STATES, Intent, IntentDraft, IntentState, intent_id_for
from omegacopy.domain.models import OrderStyle, TradeAction, Tunables
from omegacopy.domain.redemption import RouteCandidates
from omegacopy.domain.resolution import MarketResolution, ResolutionSource, resolution_from_vector
from omegacopy.observability import metrics
from omegacopy.ports import NullTelemetry, ResolutionRead

DEFAULT_INTENTS = 10_000
WALLETS = 4
STRATEGIES_PER_WALLET = 2
MARKETS = 25
BOOK_DEPTH = Decimal("1000000")  # shares per level: the run never walks a book
REDELIVERED_FRACTION = 0.20
CRASH_PROBABILITY = 0.05
DROP_PROBABILITY = 0.05
MAX_RECEIVES = 10  # failures (not crashes) before the message would sit in the DLQ
RECONCILES = 3
FEE_EVERY = 5  # one market in five charges taker fees
FEE_RATE_BPS = 50
NO_BOOK_FRACTION = 0.02  # intents for a market the exchange has no book for
ROTATED_WALLETS = (0, 2)  # wallets whose API keys rotate mid-run
# Left in flight (a passive order resting as ACCEPTED is settled for this purpose), and settled.
NON_TERMINAL = frozenset(IntentState) - TERMINAL_STATES - {IntentState.ACCEPTED}
SETTLED = TERMINAL_STATES
# Every intent is minutes old by the end of the run: the age rule must not expire them.
# (intent_max_age_s: the longest the model allows, an hour)
TUNABLES = Tunables(kill_switch=False, intent_max_age_s=3_600, redemptions_enabled=True)
RESOLVED_MARKETS = 2
REDEEM_RUNS = 4
SOAK_CTF = "0x" + "c7" * 20
SOAK_COLLATERAL = "0x" + "c0" * 20


class SoakResolutions:
    """The markets dimension after the soak's resolutions: YES won in each."""

    def __init__(self) -> None:
        self.resolved: dict[str, MarketResolution] = {}

    def resolve(self, condition_id: str, yes: str, no: str) -> None:
        self.resolved[condition_id] = resolution_from_vector(
            condition_id, [yes, no], [Decimal(1), Decimal(0)], source=ResolutionSource.MARKETS
        )

    def resolutions(self, condition_ids: Sequence[str]) -> ResolutionRead:
        return ResolutionRead({c: self.resolved[c] for c in condition_ids if c in self.resolved})


@dataclass
class StreamStats:
    deliveries: int = 0
    redelivered_messages: int = 0
    extra_deliveries: int = 0
    crash_redeliveries: int = 0
    failure_redeliveries: int = 0
    dead_lettered: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)


def _intents(world: World, rng: random.Random, count: int) -> tuple[list[Intent], Counter[str]]:
    """A leader-trade stream as the monitor turns it into intents, strategies interleaved."""
    strategies = [(f"s-soak-{w}-{k}", f"w-soak-{w}") for w in range(WALLETS) for k in range(STRATEGIES_PER_WALLET)]
    bought: Counter[tuple[str, str]] = Counter()
    rows: list[Intent] = []
    kinds: Counter[str] = Counter()
    gone = _gone_market()
    for seq in range(count):
        strategy_id, wallet_id = rng.choice(strategies)
        market = gone if rng.random() < NO_BOOK_FRACTION else rng.choice(world.markets)
        side = rng.randrange(2)
        token, mid = market.tokens[side], market.mids[side]
        usd: Decimal | None = Decimal(rng.randint(500, 2_500)) / 100
        shares: Decimal | None = None
        action, is_exit, style = "BUY", False, "FAK"
        leader = mid + CENT  # the leader lifted the best ask
        worst = leader + 2 * CENT  # the strategy's slippage ceiling
        roll = rng.random()
        if roll < 0.08 and bought[(strategy_id, token)] >= 2:
            kind, action, is_exit, usd = "exit_sell", "SELL", True, None
            shares = Decimal(rng.randint(5, 12))
            leader = mid - CENT  # the leader hit the best bid
            worst = leader - 2 * CENT
        elif 0.08 <= roll < 0.11:
            kind, style, leader = "passive_buy", rng.choice(("GTC", "GTD")), mid  # rests inside the spread
        elif 0.11 <= roll < 0.13:
            kind, leader, worst = "price_moved_buy", mid - 2 * CENT, mid  # best ask is now above the worst price
        elif 0.13 <= roll < 0.14:
            kind, usd = "oversize_buy", Decimal("1200")  # above max_order_usd (1,000)
        else:  # a plain copy (also when an exit finds nothing bought yet)
            kind, style = "buy", "FOK" if rng.random() < 0.1 else "FAK"
            bought[(strategy_id, token)] += 1
        trade_id = f"leader-trade-{seq}"
        draft = IntentDraft(
            TradeAction(action), token, market.condition_id, leader, worst, usd, shares, OrderStyle(style), is_exit
        )
        rows.append(
            Intent(intent_id_for(strategy_id, trade_id), strategy_id, wallet_id, trade_id, f"c-soak-{seq}", draft)
        )
        kinds[kind] += 1
    return rows, kinds


def _gone_market() -> Market:
    """A market the exchange has no book for: every read of it is a 404."""
    from benchmarks.executor_world import _token_id

    return Market("0x" + "0d" * 32, (_token_id("gone-yes"), _token_id("gone-no")), (Decimal("0.5"), Decimal("0.5")))


def _seed(world: World, rng: random.Random) -> None:
    for w in range(WALLETS):
        world.add_wallet(f"w-soak-{w}", pusd=Decimal("10000000"))
        for k in range(STRATEGIES_PER_WALLET):
            world.add_strategy(f"s-soak-{w}-{k}", f"w-soak-{w}", balance_usd=Decimal("100000"))
    for m in range(MARKETS):
        fee = FEE_RATE_BPS if m % FEE_EVERY == 0 else 0
        world.add_market(m, yes_mid=Decimal(rng.randint(20, 80)) / 100, depth=BOOK_DEPTH, fee_rate_bps=fee)


def _stream(
    deps: ExecutorDeps,
    probe: PostProbe,
    rows: Sequence[Intent],
    rng: random.Random,
    events: dict[int, Callable[[], object]] | None = None,
) -> StreamStats:
    """Deliver every message at least once, some again, in the simulated queue's order; `events`
    happen before the delivery of their number (a rotation, a resolution)."""
    stats = StreamStats()
    pending_events = dict(events or {})
    n = len(rows)
    heap: list[tuple[float, int, str, int]] = []  # (when, tie-break, intent id, failed receives)
    tie = 0
    for i, row in enumerate(rows):
        heap.append((float(i), tie := tie + 1, row.intent_id, 0))
        if rng.random() < REDELIVERED_FRACTION:
            stats.redelivered_messages += 1
            for _ in range(rng.randint(1, 3)):
                stats.extra_deliveries += 1
                # anywhere later: while it is in flight, right after it finished, or long after
                heap.append((rng.uniform(i, n * 1.05), tie := tie + 1, row.intent_id, 0))
    heapq.heapify(heap)
    while heap:
        when, _, intent_id, failures = heapq.heappop(heap)
        event = pending_events.pop(stats.deliveries, None)
        if event is not None:
            event()
        stats.deliveries += 1
        probe.reset(crash=rng.random() < CRASH_PROBABILITY)
        try:
            execute_intent(deps, intent_id, lambda: 60_000)
        except SimulatedCrash:
            stats.crash_redeliveries += 1  # the visibility timeout runs out: delivered again later
            heapq.heappush(heap, (when + rng.uniform(1, 300), tie := tie + 1, intent_id, failures))
        except Exception as exc:  # not deleted from the queue: redelivered, up to the DLQ
            stats.errors[type(exc).__name__] += 1
            if failures + 1 >= MAX_RECEIVES:
                stats.dead_lettered += 1
            else:
                stats.failure_redeliveries += 1
                heapq.heappush(heap, (when + rng.uniform(1, 300), tie := tie + 1, intent_id, failures + 1))
        finally:
            metrics.clear_metrics()
    probe.reset()
    return stats


def _states(world: World) -> dict[str, tuple[str, str | None, int | None, Decimal, Decimal]]:
    rows = world.conn.execute(
        "SELECT intent_id::text, state, order_hash, salt, filled_shares, filled_usd FROM order_intents"
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}


def _duplicates(
    ledger: Sequence[LedgerOrder], states: dict[str, tuple[str, str | None, int | None, Decimal, Decimal]]
) -> tuple[int, int]:
    """(orders beyond one per intent, orders no intent owns). Orders map to intents by the stored
    order hash, and by the intent-derived salt for an order whose hash no row holds (a re-signed
    order would show up that way)."""
    by_hash = {v[1]: k for k, v in states.items() if v[1] is not None}
    by_salt = {v[2]: k for k, v in states.items() if v[2] is not None}
    per_intent: Counter[str] = Counter()
    orphans = 0
    for order in ledger:
        owner = by_hash.get(order.order_hash) or by_salt.get(order.salt)
        if owner is None:
            orphans += 1
        else:
            per_intent[owner] += 1
    return sum(c - 1 for c in per_intent.values() if c > 1), orphans


def soak(  # noqa: PLR0915 - one run, step by step
    intents: int = DEFAULT_INTENTS,
    seed: int = 7,
    *,
    reconcile_settings: ReconcileSettings | None = None,
) -> list[tuple[str, float, str]]:
    rng = random.Random(seed)
    started = time.perf_counter()
    with quiet(), executor_world(seed=seed) as world:
        _seed(world, rng)
        rows, kinds = _intents(world, rng, intents)
        world.write_intents(rows)
        clock, probe = ControlledClock(), PostProbe()
        deps, exchanges = world.deps(tunables=TUNABLES, clock=clock, probe=probe)
        assert isinstance(deps.store, PgExecutorStore)
        balances = PgBalanceStore(deps.store)
        start_books = _wallet_cash(world)
        start_pusd = {w: world.exchange.balance(a) for w, a in world.wallets.items()}
        check_balances(balances, deps.exchanges, deps.tunables, deps.telemetry)  # the baselines
        world.exchange.faults.set(
            FaultMode.DROP_AFTER_ACCEPT, probability=DROP_PROBABILITY, paths=["/order"], methods=["POST"], seed=seed
        )
        resolutions = SoakResolutions()
        settlement = SettlementDeps(
            store=PgSettlementStore(world.url), markets=resolutions, exchanges=exchanges, telemetry=NullTelemetry()
        )
        setup_s = time.perf_counter() - started

        def resolve_some() -> None:
            for market in world.markets[:RESOLVED_MARKETS]:
                world.exchange.resolve_market(market.condition_id, market.tokens[0])
                resolutions.resolve(market.condition_id, *market.tokens)
            settle_resolved(settlement)

        t0 = time.perf_counter()
        stats = _stream(deps, probe, rows, rng, _events(world, len(rows), resolve_some))
        stream_s = time.perf_counter() - t0
        in_flight_after_stream = sum(1 for v in _states(world).values() if v[0] in NON_TERMINAL)

        cfg = reconcile_settings or ReconcileSettings()
        t1 = time.perf_counter()
        examined, reconcile_outcomes, fees_booked = _reconciles(deps, balances, clock, cfg)
        reconcile_s = time.perf_counter() - t1
        settle_resolved(settlement)  # fills that arrived after the resolution, and orders now ended
        resolution_lines = _redeem_resolved(world, deps, resolutions, rng)
        checked = check_balances(balances, deps.exchanges, deps.tunables, deps.telemetry)
        metrics.clear_metrics()
        drift = _balance_drift(world, start_pusd, start_books)

        states = _states(world)
        ledger = world.exchange.ledger()
        duplicates, orphans = _duplicates(ledger, states)
        state_counts = Counter(v[0] for v in states.values())
        non_terminal = sum(state_counts[s] for s in NON_TERMINAL)
        mismatched_shares, mismatched_usd = _fill_mismatches(ledger, states)
        unbooked = _unbooked_fills(ledger, states)
        rotated_401s = sum(1 for r in world.exchange.request_log if r.status == 401)
        reasons = dict(
            world.conn.execute(
                "SELECT reason_code, count(*) FROM order_intents WHERE state = 'REJECTED' GROUP BY reason_code"
            ).fetchall()
        )
        dropped = world.exchange.faults.fired(FaultMode.DROP_AFTER_ACCEPT)
        # left in flight without a single reconcile look (a look either settles it or counts a miss)
        never_examined = world.conn.execute(
            "SELECT count(*) FROM order_intents WHERE state = ANY(%s) AND reconcile_attempts = 0",
            (sorted(s.value for s in NON_TERMINAL),),
        ).fetchone()
        exchanges.close()
    total_s = time.perf_counter() - started

    lines: list[tuple[str, float, str]] = [
        ("duplicates", float(duplicates + orphans), "orders"),
        ("non_terminal_after_3_reconciles", float(non_terminal), "intents"),
        ("unbooked_fills", float(unbooked), "orders"),
        ("balance_drift_usd", float(drift), "USD"),
        ("orders", float(len(ledger)), "orders"),
        ("soak_intents", float(intents), "intents"),
        ("soak_executions", float(stats.deliveries), "executions"),
        ("soak_seconds", stream_s + reconcile_s, "s"),
        ("soak_stream_seconds", stream_s, "s"),
        ("soak_reconcile_seconds", reconcile_s, "s"),
        ("soak_setup_seconds", setup_s, "s"),
        ("soak_total_seconds", total_s, "s"),
        ("soak_executions_per_s", stats.deliveries / stream_s if stream_s else 0.0, "executions/s"),
        ("soak_redelivered_messages", float(stats.redelivered_messages), "messages"),
        ("soak_extra_deliveries", float(stats.extra_deliveries), "deliveries"),
        ("soak_crashes_after_post", float(probe.crashes), "executions"),
        ("soak_replies_dropped_after_accept", float(dropped), "replies"),
        ("soak_failed_executions", float(sum(stats.errors.values())), "executions"),
        ("soak_dead_lettered", float(stats.dead_lettered), "messages"),
        ("soak_posts", float(probe.posts), "posts"),
        ("soak_in_flight_after_stream", float(in_flight_after_stream), "intents"),
        ("soak_reconcile_examined", float(examined), "intents"),
        ("soak_reconcile_batch_limit", float(cfg.batch_limit), "intents"),
        ("soak_non_terminal_never_examined", float(never_examined[0] if never_examined else 0), "intents"),
        ("soak_orphan_orders", float(orphans), "orders"),
        ("soak_fill_share_mismatches", float(mismatched_shares), "intents"),
        ("soak_fill_usd_mismatches", float(mismatched_usd), "intents"),
        ("soak_fees_booked", float(fees_booked), "matches"),
        ("soak_balance_check_max_drift_usd", float(checked.max_drift_usd), "USD"),
        ("soak_balance_check_paused", float(len(checked.paused)), "strategies"),
        ("soak_unauthorized_replies", float(rotated_401s), "requests"),
    ]
    lines += resolution_lines
    lines += [(f"soak_kind_{k}", float(v), "intents") for k, v in sorted(kinds.items())]
    lines += [(f"soak_state_{k}", float(v), "intents") for k, v in sorted(state_counts.items())]
    lines += [(f"soak_rejected_{k}", float(v), "intents") for k, v in sorted(reasons.items())]
    lines += [(f"soak_reconcile_outcome_{k}", float(v), "intents") for k, v in sorted(reconcile_outcomes.items())]
    lines += [(f"soak_error_{k}", float(v), "executions") for k, v in sorted(stats.errors.items())]
    return lines


def _fill_mismatches(
    ledger: Sequence[LedgerOrder], states: dict[str, tuple[str, str | None, int | None, Decimal, Decimal]]
) -> tuple[int, int]:
    """Settled intents whose recorded fill differs from the exchange's (shares, USD)."""
    orders = {o.order_hash: o for o in ledger}
    shares = usd = 0
    for state, order_hash, _, filled_shares, filled_usd in states.values():
        order = orders.get(order_hash or "")
        if state not in SETTLED or order is None:
            continue
        shares += filled_shares != order.filled_shares
        usd += filled_usd != order.filled_usd
    return shares, usd


def _events(world: World, intents: int, resolve: Callable[[], None]) -> dict[int, Callable[[], object]]:
    """What happens mid-run, by delivery number: API keys rotate, busy markets resolve."""
    deliveries = int(intents * (1 + REDELIVERED_FRACTION * 2))
    return {
        deliveries // 3: lambda: world.rotate_credentials(f"w-soak-{ROTATED_WALLETS[0]}"),
        deliveries // 2: resolve,
        2 * deliveries // 3: lambda: world.rotate_credentials(f"w-soak-{ROTATED_WALLETS[1]}"),
    }


def _redeem_resolved(
    world: World, deps: ExecutorDeps, resolutions: SoakResolutions, rng: random.Random
) -> list[tuple[str, float, str]]:
    """Redeem the settled markets against the soak's node, faults on, blocks mined between runs; what
    the chain paid reaches each wallet's collateral at the exchange."""
    chain = SoakChain(chain=137, ctf=SOAK_CTF, collateral=SOAK_COLLATERAL, rng=rng)
    resolved = [m.condition_id for m in world.markets[:RESOLVED_MARKETS]]
    for market in world.markets[:RESOLVED_MARKETS]:
        chain.add_market(market.condition_id, *market.tokens)
        chain.reported.add(market.condition_id)
    # on chain, each wallet holds what its strategies were settled for
    held = world.conn.execute(
        "SELECT w.address, s.token_id, sum(s.shares) FROM position_settlements s"
        " JOIN wallets w ON w.wallet_id = s.wallet_id GROUP BY 1, 2"
    ).fetchall()
    position_holdings(chain, [(address, token, int(shares * 10**6)) for address, token, shares in held])
    redemption = RedemptionDeps(
        store=PgRedemptionStore(world.url),
        chain=chain,
        keys=deps.keys,
        tunables=deps.tunables,
        clock=deps.clock,
        telemetry=NullTelemetry(),
        chain_id=137,
        routes=RouteCandidates(ctf=SOAK_CTF, collaterals=(SOAK_COLLATERAL,), neg_risk_adapters=()),
    )
    for _ in range(REDEEM_RUNS):
        redeem(redemption)
        chain.mine()
    for address in world.wallets.values():
        for condition_id in resolved:
            world.exchange.redeem(address, condition_id)
    still_open = world.conn.execute(
        "SELECT count(*) FROM strategy_positions WHERE condition_id = ANY(%s) AND shares > 0", (resolved,)
    ).fetchone()
    rows = world.conn.execute("SELECT state, expected_usd, payout_units FROM redemptions").fetchall()
    open_redemptions = sum(1 for state, _, _ in rows if state not in ("CONFIRMED", "NOT_NEEDED"))
    expected = sum((usd for _, usd, _ in rows), Decimal(0))
    paid = Decimal(sum(int(units or 0) for _, _, units in rows)) / 10**6
    settled = world.conn.execute("SELECT count(*), COALESCE(sum(proceeds_usd), 0) FROM position_settlements").fetchone()
    assert settled is not None and still_open is not None
    return [
        ("redemption_duplicate_transactions", float(chain.duplicates()), "transactions"),
        ("redemptions_open_after_4_runs", float(open_redemptions), "redemptions"),
        ("open_positions_in_resolved_markets", float(still_open[0]), "positions"),
        ("redemption_payout_mismatch_usd", float(abs(paid - expected)), "USD"),
        ("soak_resolved_markets", float(len(resolved)), "markets"),
        ("soak_settled_positions", float(settled[0]), "positions"),
        ("soak_settlement_proceeds_usd", float(settled[1]), "USD"),
        ("soak_redemptions", float(len(rows)), "redemptions"),
        ("soak_redemption_broadcasts_seen", float(sum(len(h) for h in chain.seen.values())), "transactions"),
    ]


def _reconciles(
    deps: ExecutorDeps, balances: PgBalanceStore, clock: ControlledClock, cfg: ReconcileSettings
) -> tuple[int, Counter[str], int]:
    """The reconciler's runs: reconcile, then book fees. (examined, outcomes, fees booked)."""
    outcomes: Counter[str] = Counter()
    examined = fees_booked = 0
    for _ in range(RECONCILES):
        clock.advance(cfg.grace_s + 10)
        summary = reconcile(deps, cfg)
        examined += summary.examined
        outcomes.update(summary.outcomes)
        fees_booked += book_fees(balances, deps.exchanges, deps.clock, deps.telemetry).fees_booked
        metrics.clear_metrics()
    return examined, outcomes, fees_booked


def _unbooked_fills(
    ledger: Sequence[LedgerOrder], states: dict[str, tuple[str, str | None, int | None, Decimal, Decimal]]
) -> int:
    """Orders the exchange filled further than their intent has booked (in any state)."""
    booked = {order_hash: filled for _, order_hash, _, filled, _ in states.values() if order_hash}
    return sum(1 for o in ledger if o.filled_shares > booked.get(o.order_hash, Decimal(0)))


def _wallet_cash(world: World) -> dict[str, Decimal]:
    rows = world.conn.execute(
        "SELECT s.wallet_id, sum(st.balance_usd) FROM strategies s"
        " JOIN strategy_settings st ON st.strategy_id = s.strategy_id GROUP BY 1"
    ).fetchall()
    return {wallet: Decimal(cash) for wallet, cash in rows}


def _balance_drift(world: World, start_pusd: dict[str, Decimal], start_books: dict[str, Decimal]) -> Decimal:
    """Each wallet's pUSD and shares at the exchange against the books: the sum of the gaps.
    pUSD: what moved at the exchange against what moved in the strategies' cash; shares: what the
    exchange holds against the strategies' positions."""
    drift = Decimal(0)
    books = _wallet_cash(world)
    for wallet, address in world.wallets.items():
        moved = world.exchange.balance(address) - start_pusd[wallet]
        drift += abs(moved - (books[wallet] - start_books[wallet]))
    held = world.conn.execute(
        "SELECT s.wallet_id, p.token_id, sum(p.shares) FROM strategy_positions p"
        " JOIN strategies s ON s.strategy_id = p.strategy_id GROUP BY 1, 2"
    ).fetchall()
    booked = {(wallet, token): Decimal(shares) for wallet, token, shares in held}
    tokens = {t for m in world.markets for t in m.tokens}
    for wallet, address in world.wallets.items():
        for token in tokens:
            drift += abs(world.exchange.position(address, token) - booked.get((wallet, token), Decimal(0)))
    return drift


def run() -> list[tuple[str, float, str]]:
    return soak()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.executor_soak", description=__doc__.split("\n")[0])
    parser.add_argument("--intents", type=int, default=DEFAULT_INTENTS, help="intents in the stream (10,000)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the stream, the faults and the redeliveries")
    parser.add_argument(
        "--reconcile-batch-limit",
        type=int,
        default=ReconcileSettings().batch_limit,
        help="intents one reconcile run examines (ReconcileSettings.batch_limit, default %(default)s)",
    )
    args: Any = parser.parse_args(argv)
    settings = ReconcileSettings(batch_limit=args.reconcile_batch_limit)
    results = soak(args.intents, args.seed, reconcile_settings=settings)
    for metric, value, unit in results:
        print(f"{metric}: {value:.6g} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
