"""The local run's world: leaders, markets, strategies and a stream of leader trades over ticks.

Everything here is decided by the seed (one `random.Random` stream per part, derived from it):
wallets, ids, books, trade sizes and which tick a trade arrives in; the number of ticks only adds
or removes trades at the end. Wall-clock times are NOT decided here: the driver
(`omegacopy.devstack.local_run`) stamps each trade with the real time it "arrives", so the
monitor's staleness rule sees real ages.

The first four ticks are scripted so a short run still shows every path the monitor and the
executor take (the list is in `SCRIPT` below, and each trade carries a `note` saying what it is
for); later ticks are background trades by the watched leaders. OWRR inputs (open positions of a
few hundred wallets and their omega metrics) are generated per market towards a target slider band
and confidence, checked with the domain's own `compute_owrr`, so "a YES-leaning, high-confidence
market" really is one.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from omegacopy.devstack.seed import MarketSeed, StrategySeed, TradeSeed
from omegacopy.domain.models import Confidence
from omegacopy.domain.money import CENT, from_float, to_cents
from omegacopy.domain.owrr import LIFETIME_WINDOW, MIN_RESOLVED_BETS, WalletMetric, WalletPosition, compute_owrr

CATEGORIES = ("politics", "sports", "crypto", "economics", "culture")
TICK_SIZE = CENT
MIN_SIZE = Decimal("5")
FOLLOWER_WALLET_ID = "w-follower"
FOLLOWER_PUSD = Decimal("20000")
LEADER_COUNT = 300
WATCHED_COUNT = 12
SCRIPTED_TICKS = 4
TICK_SPACING_S = 30  # the schedule: a monitor tick now and one 30 s later, every minute
STALENESS_LIMIT_S = 120  # the run's staleness tunable: a leader trade older than 2 minutes is never copied
STALE_AGE_S = 900.0  # the backfilled trade: 15 minutes old when it arrives
_PRICE_STEPS = (Decimal("-0.02"), Decimal("-0.01"), Decimal("0"), Decimal("0"), Decimal("0.01"), Decimal("0.02"))


@dataclass(frozen=True)
class MarketSpec:
    """One binary market: its dimension row, its OWRR design and its price path."""

    key: str
    question: str
    category: str
    condition_id: str
    yes_token: str
    no_token: str
    start_yes_price: Decimal
    yes_voters: int  # qualified voters with an open YES position
    no_voters: int
    slider_band: tuple[int, int]  # the OWRR slider the seeded positions must produce
    confidence: Confidence
    neg_risk: bool = False
    closed: bool = False  # closed before the run starts
    resolves_before_tick: int | None = None  # closed (and settled) just before this tick
    resolution: str | None = None  # winning outcome

    def seed(self, *, closed: bool | None = None) -> MarketSeed:
        return MarketSeed(
            condition_id=self.condition_id,
            category=self.category,
            yes_token_id=self.yes_token,
            no_token_id=self.no_token,
            neg_risk=self.neg_risk,
            closed=self.closed if closed is None else closed,
            question=self.question,
        )

    def token(self, outcome: str) -> str:
        return self.yes_token if outcome == "YES" else self.no_token


@dataclass(frozen=True)
class Book:
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]

    @property
    def best_bid(self) -> Decimal | None:
        return max((p for p, _ in self.bids), default=None)

    @property
    def best_ask(self) -> Decimal | None:
        return min((p for p, _ in self.asks), default=None)

    @property
    def mid(self) -> Decimal | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid + ask) / 2


@dataclass(frozen=True)
class LeaderTradeEvent:
    """One leader trade as the indexer will deliver it to `trades_raw`."""

    tick: int
    trade_id: str
    wallet: str
    market_key: str
    outcome: str  # YES | NO
    action: str  # BUY | SELL
    shares: Decimal
    price: Decimal
    kind: str  # entry | exit | stale | closed_market | invalid | duplicate | late | resolved_market | ...
    note: str = ""
    block_age_s: float = 1.0  # how long before its arrival the trade happened on chain
    rows: int = 1  # >1: the indexer delivered the same row several times in one batch
    redeliver_at_tick: int | None = None  # the same trade id delivered again at that tick
    late: bool = False  # ingested "behind" the monitor's watermark (inside its overlap window)
    market_id_override: str | None = None  # invalid rows: a market the dimension table does not know
    price_override: float | None = None  # invalid rows: a price no trade can have

    @property
    def usd(self) -> Decimal:
        return to_cents(self.shares * self.price)


# An existing position: wallet, market key, outcome, shares, entry price, age in days, closed.
HistoryRow = tuple[str, str, str, Decimal, Decimal, float, bool]


@dataclass(frozen=True)
class Leader:
    name: str  # L0 … L11 for the watched ones, W### for the others
    address: str


@dataclass
class Scenario:
    seed: int
    ticks: int
    leaders: list[Leader]
    watched: list[Leader]
    markets: list[MarketSpec]
    metrics: list[tuple[str, str, str, float | None, int | None]]
    history: list[HistoryRow]
    strategies: list[StrategySeed]
    events: list[LeaderTradeEvent]
    yes_prices: list[dict[str, Decimal]]  # per tick: market key -> fair YES price
    owrr_preview: dict[str, tuple[int, str]] = field(default_factory=dict)  # market key -> (slider, confidence)

    # --- lookups ----------------------------------------------------------------------------------
    def market(self, key: str) -> MarketSpec:
        for m in self.markets:
            if m.key == key:
                return m
        raise KeyError(key)

    def market_of_token(self, token_id: str) -> tuple[MarketSpec, str] | None:
        for m in self.markets:
            if token_id == m.yes_token:
                return m, "YES"
            if token_id == m.no_token:
                return m, "NO"
        return None

    def leader_name(self, address: str) -> str:
        for leader in self.leaders:
            if leader.address == address:
                return leader.name
        return address

    def arrivals(self, tick: int) -> list[LeaderTradeEvent]:
        """Trades that arrive during the gap before `tick` (late rows excluded)."""
        return [e for e in self.events if e.tick == tick and not e.late]

    def late_arrivals(self, tick: int) -> list[LeaderTradeEvent]:
        """Rows that become visible before `tick` but carry an ingest time behind the watermark."""
        return [e for e in self.events if e.tick == tick and e.late]

    def redeliveries(self, tick: int) -> list[LeaderTradeEvent]:
        return [e for e in self.events if e.redeliver_at_tick == tick]

    def resolutions(self, tick: int) -> list[MarketSpec]:
        return [m for m in self.markets if m.resolves_before_tick == tick]

    def resolved_by(self, tick: int) -> set[str]:
        """Keys of markets resolved before `tick` (inclusive of resolutions at `tick`)."""
        return {m.key for m in self.markets if m.resolves_before_tick is not None and m.resolves_before_tick <= tick}

    def books(self, tick: int) -> dict[str, Book]:
        """Token id -> the paper exchange's seeded book at `tick` (resolved and closed markets: empty)."""
        out: dict[str, Book] = {}
        prices = self.yes_prices[min(tick, len(self.yes_prices) - 1)]
        resolved = self.resolved_by(tick)
        rng = random.Random(self.seed * 1_000_003 + tick)
        for m in self.markets:
            if m.closed:
                continue
            if m.key in resolved:
                out[m.yes_token] = out[m.no_token] = Book((), ())
                continue
            yes = prices[m.key]
            out[m.yes_token] = _ladder(yes, rng)
            out[m.no_token] = _ladder(1 - yes, rng)
        return out

    def describe(self) -> dict[str, Any]:
        """What the run's summary says about the world it ran (tick numbers 1-based, as printed)."""
        return {
            "seed": self.seed,
            "ticks": self.ticks,
            "leaders": len(self.leaders),
            "watched_leaders": [f"{w.name} {w.address}" for w in self.watched],
            "metric_rows": len(self.metrics),
            "history_rows": len(self.history),
            "markets": [
                {
                    "key": m.key,
                    "question": m.question,
                    "category": m.category,
                    "condition_id": m.condition_id,
                    "yes_token": m.yes_token,
                    "no_token": m.no_token,
                    "neg_risk": m.neg_risk,
                    "closed": m.closed,
                    "resolves_before_tick": None if m.resolves_before_tick is None else m.resolves_before_tick + 1,
                    "resolution": m.resolution,
                    "owrr_slider": self.owrr_preview.get(m.key, (None, None))[0],
                    "owrr_confidence": self.owrr_preview.get(m.key, (None, None))[1],
                }
                for m in self.markets
            ],
            "strategies": [
                {
                    "strategy_id": s.strategy_id,
                    "name": s.name,
                    "categories": list(s.categories),
                    "sizing_mode": s.sizing_mode,
                    "fixed_size_usd": str(s.fixed_size_usd),
                    "proportional_fraction": str(s.proportional_fraction),
                    "owrr_thresholds": [s.owrr_threshold_yes, s.owrr_threshold_no],
                    "min_owrr_confidence": s.min_owrr_confidence,
                    "order_style": s.order_style,
                    "balance_usd": str(s.balance_usd),
                    "watched": [self.leader_name(w) for w in s.watched],
                }
                for s in self.strategies
            ],
            "leader_trades": len(self.events),
            "scripted": [
                {"tick": e.tick + 1, "trade_id": e.trade_id, "kind": e.kind, "note": e.note}
                for e in self.events
                if e.kind != "background"
            ],
        }

    # --- rows for the stores ----------------------------------------------------------------------
    def history_seeds(self, now: datetime) -> list[TradeSeed]:
        """The voters' (and leaders') existing positions: trades days before the run."""
        rng = random.Random(self.seed * 7919)
        seeds: list[TradeSeed] = []
        for wallet, market_key, outcome, shares, price, age_days, closed in self.history:
            market = self.market(market_key)
            at = now - timedelta(days=age_days)
            seeds.append(
                TradeSeed(
                    trade_id=_trade_id(rng),
                    wallet=wallet,
                    market=market.seed(),
                    outcome=outcome,
                    action="BUY",
                    shares=float(shares),
                    price=float(price),
                    block_time=at,
                    ingested_at=at + timedelta(seconds=rng.uniform(2, 40)),
                    is_closed=int(closed),
                )
            )
        return seeds


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------
_MARKET_DESIGN: tuple[tuple[str, str, str, float, int, int, tuple[int, int], Confidence, dict[str, Any]], ...] = (
    # key, question, category, start YES price, YES voters, NO voters, slider band, confidence, extra
    ("M0", "Will the incumbent party win the 2028 US presidential election?", "politics", 0.58, 18, 6,
     (72, 90), Confidence.HIGH, {}),
    ("M1", "Will Gov. Alvarez win the 2028 Democratic nomination?", "politics", 0.31, 4, 11,
     (10, 32), Confidence.MEDIUM, {"neg_risk": True}),
    ("M2", "Will the Lakers make the 2027 NBA playoffs?", "sports", 0.52, 12, 9,
     (57, 63), Confidence.HIGH, {}),
    ("M3", "Will Argentina win the 2026 FIFA World Cup?", "sports", 0.24, 10, 4,
     (66, 85), Confidence.MEDIUM, {}),
    ("M4", "Will Bitcoin close above $150k on Dec 31, 2026?", "crypto", 0.41, 16, 5,
     (70, 90), Confidence.HIGH, {}),
    ("M5", "Will the Ethereum staking ETF be approved by June 30?", "crypto", 0.63, 9, 2,
     (50, 50), Confidence.INSUFFICIENT, {}),
    ("M6", "Will the Fed cut rates at the September meeting?", "economics", 0.44, 5, 17,
     (8, 30), Confidence.HIGH, {}),
    ("M7", "Will the Senate confirm the Treasury nominee by March 1?", "politics", 0.90, 6, 3,
     (0, 100), Confidence.LOW, {"closed": True}),
    ("M8", "Will the home team win tonight's Champions League final?", "sports", 0.66, 15, 6,
     (70, 90), Confidence.HIGH, {"resolves_before_tick": 3, "resolution": "YES"}),
    ("M9", "Will the summer blockbuster gross $1B worldwide?", "culture", 0.35, 8, 5,
     (55, 80), Confidence.MEDIUM, {}),
)  # fmt: skip


def generate_scenario(seed: int = 7, ticks: int = 12) -> Scenario:
    """The world for `seed`; `ticks` only decides how many ticks of trades (and prices) there are.

    Each part draws from its own random stream, so the same seed gives the same wallets, markets,
    ids and scripted trades whatever the number of ticks."""
    if ticks < 1:
        raise ValueError("a run needs at least one tick")

    def stream(part: str) -> random.Random:
        return random.Random(f"omegacopy/local-run/{seed}/{part}")

    rng = stream("world")
    leaders = [Leader(f"W{i:03d}", _address(rng)) for i in range(LEADER_COUNT)]
    watched = [Leader(f"L{i}", leaders[i].address) for i in range(WATCHED_COUNT)]
    leaders = watched + leaders[WATCHED_COUNT:]
    metrics, qualified = _metrics(rng, leaders)
    markets = [
        MarketSpec(
            key=key,
            question=question,
            category=category,
            condition_id=f"0x{rng.getrandbits(256):064x}",
            yes_token=_token_id(rng),
            no_token=_token_id(rng),
            start_yes_price=from_float(price),
            yes_voters=yes_n,
            no_voters=no_n,
            slider_band=band,
            confidence=confidence,
            **extra,
        )
        for key, question, category, price, yes_n, no_n, band, confidence, extra in _MARKET_DESIGN
    ]
    yes_prices = _price_paths(stream("prices"), markets, max(ticks, SCRIPTED_TICKS))
    by_name = {w.name: w.address for w in watched}
    scripted = _scripted(stream("script"), by_name, yes_prices)
    background = _background(stream("background"), watched, markets, yes_prices, ticks)
    history, preview = _history(
        stream("history"), markets, leaders=leaders, qualified=qualified, metrics=metrics, scripted=scripted
    )
    events = [e for e in scripted if e.tick < ticks] + background
    return Scenario(
        seed=seed,
        ticks=ticks,
        leaders=leaders,
        watched=watched,
        markets=markets,
        metrics=metrics,
        history=history,
        strategies=_strategies(by_name),
        events=sorted(events, key=lambda e: (e.tick, e.trade_id)),
        yes_prices=yes_prices[:ticks],
        owrr_preview=preview,
    )


def _address(rng: random.Random) -> str:
    return f"0x{rng.getrandbits(160):040x}"


def _token_id(rng: random.Random) -> str:
    """A realistic outcome token id: a uint256 printed in decimal, 77 digits."""
    return str(rng.randrange(10**76, 10**77))


def _trade_id(rng: random.Random) -> str:
    """Indexer-style id: transaction hash and log index."""
    return f"0x{rng.getrandbits(256):064x}:{rng.randrange(1, 400)}"


def _metrics(
    rng: random.Random, leaders: Sequence[Leader]
) -> tuple[list[tuple[str, str, str, float | None, int | None]], dict[str, list[str]]]:
    """wallet_metrics_by_category rows (lifetime and 90d windows) and, per category, the wallets
    qualified to vote in it (≥ MIN_RESOLVED_BETS resolved bets, lifetime)."""
    rows: list[tuple[str, str, str, float | None, int | None]] = []
    qualified: dict[str, list[str]] = defaultdict(list)
    for index, leader in enumerate(leaders):
        count = 3 if index < WATCHED_COUNT else rng.choice((1, 2, 2, 3))
        for category in rng.sample(CATEGORIES, count):
            omega: float | None = round(min(max(rng.lognormvariate(0.25, 0.55), 0.05), 9.0), 4)
            if rng.random() < 0.03:
                omega = None  # the analytics product has no omega for this wallet yet
            bets = int(rng.expovariate(1 / 70))
            if index < WATCHED_COUNT:
                bets = max(bets, 25)
            rows.append((leader.address, category, LIFETIME_WINDOW, omega, bets))
            rows.append(
                (leader.address, category, "90d", None if omega is None else round(omega * rng.uniform(0.7, 1.3), 4),
                 bets // 4)
            )  # fmt: skip
            if bets >= MIN_RESOLVED_BETS:
                qualified[category].append(leader.address)
    return rows, qualified


def _price_paths(rng: random.Random, markets: Sequence[MarketSpec], ticks: int) -> list[dict[str, Decimal]]:
    paths: list[dict[str, Decimal]] = [{m.key: m.start_yes_price for m in markets}]
    for _ in range(1, ticks):
        prev = paths[-1]
        paths.append(
            {k: min(max(p + rng.choice(_PRICE_STEPS), Decimal("0.06")), Decimal("0.94")) for k, p in prev.items()}
        )
    return paths


def _ladder(yes_price: Decimal, rng: random.Random) -> Book:
    """Three levels each side around a fair price, a cent apart."""
    bids = tuple((yes_price - CENT * i, Decimal(rng.randrange(300, 1600))) for i in (1, 2, 3))
    asks = tuple((yes_price + CENT * i, Decimal(rng.randrange(300, 1600))) for i in (1, 2, 3))
    return Book(tuple(b for b in bids if b[0] > 0), tuple(a for a in asks if a[0] < 1))


def _touch(yes_prices: Sequence[dict[str, Decimal]], tick: int, market: str, outcome: str, action: str) -> Decimal:
    """The price a leader trades at: the ask when buying, the bid when selling."""
    yes = yes_prices[min(tick, len(yes_prices) - 1)][market]
    fair = yes if outcome == "YES" else 1 - yes
    return fair + CENT if action == "BUY" else fair - CENT


def _shares(rng: random.Random, median: float, sigma: float = 0.8, low: float = 20, high: float = 25_000) -> Decimal:
    value = min(max(rng.lognormvariate(math.log(median), sigma), low), high)
    return to_cents(Decimal(round(value)))


# fmt: off
# tick, leader, market, outcome, action, shares (None: random), kind, note, options
SCRIPT: tuple[tuple[int, str, str, str, str, int | None, str, str, dict[str, Any]], ...] = (
    (0, "L0", "M0", "YES", "BUY", 400, "entry", "S1 copies (OWRR sizing), S4 copies (GTC)", {}),
    (0, "L4", "M3", "YES", "BUY", 900, "entry", "S2 copies ($50 fixed), S1 category_not_tracked, S4 low_confidence",
     {}),
    (0, "L6", "M4", "YES", "BUY", 7000, "entry", "S3 copies 3% of the leader's dollars; S2 category_not_tracked", {}),
    (0, "L1", "M7", "YES", "BUY", 500, "closed_market", "a trade in a market already closed: market_closed", {}),
    (0, "L2", "M0", "YES", "BUY", 800, "stale", "a backfilled trade 15 min old: stale_trade",
     {"block_age_s": STALE_AGE_S}),
    (0, "L4", "M3", "YES", "BUY", 300, "invalid", "a row whose market the dimension table does not know",
     {"market_id_override": True}),
    (0, "L9", "M9", "YES", "BUY", 1200, "entry", "culture is nobody's category: category_not_tracked", {}),
    (1, "L4", "M8", "YES", "BUY", 1500, "entry", "S2 and S4 buy the market that resolves later", {}),
    (1, "L7", "M2", "YES", "BUY", 1100, "duplicate",
     "the indexer delivers this row twice now and once more next tick: one signal per strategy", {"rows": 2}),
    (1, "L5", "M1", "NO", "BUY", 1400, "entry", "S1 copies a NO buy on a NO-leaning (neg-risk) market", {}),
    (1, "L10", "M5", "YES", "BUY", 900, "entry", "thin consensus (insufficient data): S3/S4 skip", {}),
    (1, "L8", "M6", "YES", "BUY", 1000, "entry", "YES against a NO-leaning market: owrr_below_threshold", {}),
    (1, "L9", "M4", "YES", "BUY", 600, "invalid", "a row with a price no trade can have (1.7)",
     {"price_override": 1.7}),
    (2, "L11", "M4", "YES", "BUY", 4000, "late",
     "ingested behind the monitor's watermark after tick 1; seen thanks to the overlap window", {"late": True}),
    (2, "L0", "M0", "YES", "SELL", 200, "exit", "the leader sells half: S1 and S4 sell half of theirs", {}),
    (2, "L1", "M6", "NO", "BUY", 700, "price_moved",
     "the leader bought before the book ran up 7 cents: S1 copies, the executor refuses (price_moved)",
     {"price_shift": "-0.07", "block_age_s": 25.0}),
    (2, "L3", "M3", "NO", "SELL", 250, "no_position", "the leader sells a token the strategies never held", {}),
    (3, "L4", "M8", "YES", "BUY", 800, "resolved_market", "a trade after the market resolved: market_closed", {}),
    (3, "L0", "M0", "YES", "SELL", 200, "exit", "the leader sells the rest: S1 and S4 close the position", {}),
    (3, "L6", "M4", "YES", "SELL", 2100, "exit", "the leader sells 30%: S3 sells 30% of its holding", {}),
    (3, "L5", "M6", "NO", "BUY", 1600, "entry", "a NO buy on a NO-leaning economics market: S1 copies", {}),
)
# fmt: on


def _scripted(
    rng: random.Random, leaders: dict[str, str], yes_prices: Sequence[dict[str, Decimal]]
) -> list[LeaderTradeEvent]:
    """Every scripted trade (all ticks: the caller drops those past the run's last tick)."""
    out: list[LeaderTradeEvent] = []
    for tick, leader, market, outcome, action, shares, kind, note, opts in SCRIPT:
        price = _touch(yes_prices, tick, market, outcome, action) + Decimal(opts.get("price_shift", "0"))
        out.append(
            LeaderTradeEvent(
                tick=tick,
                trade_id=_trade_id(rng),
                wallet=leaders[leader],
                market_key=market,
                outcome=outcome,
                action=action,
                shares=to_cents(Decimal(shares if shares is not None else 500)),
                price=price,
                kind=kind,
                note=note,
                block_age_s=float(opts.get("block_age_s", round(rng.uniform(0.5, 3.0), 3))),
                rows=int(opts.get("rows", 1)),
                redeliver_at_tick=tick + 1 if kind == "duplicate" else None,
                late=bool(opts.get("late", False)),
                market_id_override=f"0x{rng.getrandbits(256):064x}" if opts.get("market_id_override") else None,
                price_override=opts.get("price_override"),
            )
        )
    return out


def _background(
    rng: random.Random,
    watched: Sequence[Leader],
    markets: Sequence[MarketSpec],
    yes_prices: Sequence[dict[str, Decimal]],
    ticks: int,
) -> list[LeaderTradeEvent]:
    """Ticks after the script: leaders keep buying across the open markets and sometimes sell."""
    holdings: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    addresses = {w.name: w.address for w in watched}
    for line in SCRIPT:
        sign = 1 if line[4] == "BUY" else -1
        holdings[(addresses[line[1]], line[2], line[3])] += sign * (line[5] or 0)
    resolved = {m.key for m in markets if m.resolves_before_tick is not None}
    tradable = [m for m in markets if not m.closed and m.key not in resolved]
    out: list[LeaderTradeEvent] = []
    for tick in range(SCRIPTED_TICKS, ticks):
        for _ in range(rng.randint(2, 5)):
            leader = rng.choice(watched)
            held = [(k, v) for k, v in holdings.items() if k[0] == leader.address and v >= 20]
            if held and rng.random() < 0.3:
                (wallet, market, outcome), shares_held = rng.choice(held)
                shares = to_cents(shares_held * from_float(rng.uniform(0.3, 1.0)))
                action = "SELL"
            else:
                spec = rng.choice(tradable)
                lean_yes = spec.yes_voters / (spec.yes_voters + spec.no_voters)
                outcome = "YES" if rng.random() < 0.2 + 0.6 * lean_yes else "NO"
                market, wallet, shares, action = spec.key, leader.address, _shares(rng, 900), "BUY"
            holdings[(wallet, market, outcome)] += shares if action == "BUY" else -shares
            out.append(
                LeaderTradeEvent(
                    tick=tick,
                    trade_id=_trade_id(rng),
                    wallet=wallet,
                    market_key=market,
                    outcome=outcome,
                    action=action,
                    shares=shares,
                    price=_touch(yes_prices, tick, market, outcome, action),
                    kind="background",
                    block_age_s=rng.uniform(0.5, 3.0),
                )
            )
    return out


def _history(
    rng: random.Random,
    markets: Sequence[MarketSpec],
    *,
    leaders: Sequence[Leader],
    qualified: dict[str, list[str]],
    metrics: Sequence[tuple[str, str, str, float | None, int | None]],
    scripted: Sequence[LeaderTradeEvent],
) -> tuple[list[HistoryRow], dict[str, tuple[int, str]]]:
    """Open positions per market that give it the designed OWRR, plus noise rows.

    The check runs the domain's `compute_owrr` on exactly what the monitor will read the first
    time it prices the market: these positions and the scripted leader rows that are in
    `trades_raw` by then (the OWRR cache keeps that result for its TTL). Noise: wallets without a
    track record in the category (they never vote) and positions already closed."""
    traders = {e.wallet for e in scripted}
    history: list[HistoryRow] = []
    preview: dict[str, tuple[int, str]] = {}
    for market in markets:
        voters = sorted(set(qualified[market.category]) - traders)
        outsiders = sorted({w.address for w in leaders} - set(qualified[market.category]) - traders)
        buys = [e for e in scripted if e.market_key == market.key and e.action == "BUY" and not e.market_id_override]
        first_tick = min((e.tick for e in buys), default=0)
        leader_rows = [
            WalletPosition(e.wallet, e.outcome, float(e.shares), float(e.price_override or e.price), float(e.usd))
            for e in buys
            for _ in range(e.rows + (1 if e.redeliver_at_tick is not None and e.redeliver_at_tick <= first_tick else 0))
            if e.tick <= first_tick
        ]
        metric_rows = [WalletMetric(*row) for row in metrics if row[1] == market.category]
        for _attempt in range(1000):
            picked = rng.sample(voters, market.yes_voters + market.no_voters)
            rows: list[HistoryRow] = []
            for i, wallet in enumerate(picked):
                outcome = "YES" if i < market.yes_voters else "NO"
                fair = market.start_yes_price if outcome == "YES" else 1 - market.start_yes_price
                price = min(max(fair + Decimal(rng.randrange(-6, 7)) * CENT, Decimal("0.02")), Decimal("0.98"))
                age = round(rng.uniform(1, 40), 3)
                rows.append((wallet, market.key, outcome, _shares(rng, 1500, 0.7), price, age, False))
            positions = [WalletPosition(w, o, float(s), float(p), float(s * p)) for w, _, o, s, p, _, _ in rows]
            result = compute_owrr(market.category, positions + leader_rows, metric_rows)
            low, high = market.slider_band
            if result.confidence is market.confidence and low <= result.slider <= high:
                break
        else:
            raise RuntimeError(f"no seeded positions give {market.key} its designed OWRR; try another --seed")
        preview[market.key] = (result.slider, result.confidence.value)
        history.extend(rows)
        for wallet in rng.sample(outsiders, 4):
            outcome = rng.choice(("YES", "NO"))
            fair = market.start_yes_price if outcome == "YES" else 1 - market.start_yes_price
            history.append((wallet, market.key, outcome, _shares(rng, 200), fair, round(rng.uniform(1, 60), 3), False))
        for wallet in rng.sample(voters, 3):
            outcome = rng.choice(("YES", "NO"))
            fair = market.start_yes_price if outcome == "YES" else 1 - market.start_yes_price
            history.append((wallet, market.key, outcome, _shares(rng, 900), fair, round(rng.uniform(30, 90), 3), True))
    return history, preview


def _strategies(leaders: dict[str, str]) -> list[StrategySeed]:
    def watch(*names: str) -> list[str]:
        return [leaders[n] for n in names]

    return [
        StrategySeed(
            "s-politics-owrr", FOLLOWER_WALLET_ID, watch("L0", "L1", "L2", "L3", "L4", "L5"),
            categories=("politics", "economics"), balance_usd=Decimal("5000"), max_position_size_usd=Decimal("400"),
            max_positions=8, risk_per_trade_percent=Decimal("2"), owrr_threshold_yes=60, owrr_threshold_no=40,
            min_owrr_confidence="medium", sizing_mode="owrr", slippage_ceiling=Decimal("0.02"), order_style="FAK",
            name="S1 politics & economics, OWRR-sized",
        ),
        StrategySeed(
            "s-sports-fixed", FOLLOWER_WALLET_ID, watch("L3", "L4", "L5", "L6", "L7", "L8"),
            categories=("sports",), balance_usd=Decimal("3000"), max_position_size_usd=Decimal("300"),
            max_positions=6, owrr_threshold_yes=55, owrr_threshold_no=45, min_owrr_confidence="low",
            sizing_mode="fixed", fixed_size_usd=Decimal("50"), slippage_ceiling=Decimal("0.03"), order_style="FAK",
            name="S2 sports, $50 fixed",
        ),
        StrategySeed(
            "s-crypto-proportional", FOLLOWER_WALLET_ID, watch("L6", "L7", "L8", "L9", "L10", "L11"),
            categories=("crypto", "economics"), balance_usd=Decimal("4000"), max_position_size_usd=Decimal("500"),
            max_positions=6, owrr_threshold_yes=65, owrr_threshold_no=35, min_owrr_confidence="high",
            sizing_mode="proportional", proportional_fraction=Decimal("0.03"), slippage_ceiling=Decimal("0.02"),
            order_style="FAK", name="S3 crypto & economics, 3% of the leader",
        ),
        StrategySeed(
            "s-broad-gtc", FOLLOWER_WALLET_ID, watch("L0", "L4", "L8", "L10"),
            categories=("politics", "sports", "crypto", "economics"), balance_usd=Decimal("5000"),
            max_position_size_usd=Decimal("250"), max_positions=10, risk_per_trade_percent=Decimal("1.5"),
            owrr_threshold_yes=65, owrr_threshold_no=35, min_owrr_confidence="high", sizing_mode="owrr",
            slippage_ceiling=Decimal("0.02"), order_style="GTC", name="S4 broad, high confidence only, GTC limits",
        ),
    ]  # fmt: skip


def trade_row(event: LeaderTradeEvent, market: MarketSpec, *, block_time: datetime, ingested_at: datetime) -> list[Any]:
    """The `trades_raw` row (column order of `omegacopy.devstack.seed.TRADE_COLUMNS`)."""
    price = event.price_override if event.price_override is not None else float(event.price)
    return [
        event.trade_id,
        event.wallet,
        event.market_id_override or market.condition_id,
        market.token(event.outcome),
        event.outcome,
        event.action,
        float(event.shares),
        price,
        float(event.usd),
        0,
        block_time,
        ingested_at,
    ]


__all__ = [
    "FOLLOWER_PUSD",
    "FOLLOWER_WALLET_ID",
    "MIN_SIZE",
    "STALENESS_LIMIT_S",
    "TICK_SIZE",
    "TICK_SPACING_S",
    "Book",
    "Leader",
    "LeaderTradeEvent",
    "MarketSpec",
    "Scenario",
    "generate_scenario",
    "trade_row",
]
