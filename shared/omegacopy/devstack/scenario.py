"""The local run's world: markets, wallets and their track records, strategies, and the leaders'
trades over ticks — all of it published through the public-API emulator, none of it into ClickHouse.

Everything here is decided by the seed (one `random.Random` stream per part): wallets, ids, books,
positions, trade sizes and which tick a trade arrives in; the number of ticks only adds or removes
trades at the end. Wall-clock times are NOT decided here: ages are, and the driver
(`omegacopy.devstack.local_run`) turns them into real times when it publishes, so the monitor's
staleness rule and the indexer's windows see real ages.

What the emulator serves:
- Gamma: the run's ten markets (outcomes named Yes/No, Up/Down or after teams; one closed before the
  run, one resolving during it) and `HISTORY_MARKETS_PER_CATEGORY` resolved markets per category;
- the Data API: every wallet's positions — open ones in the run's markets (the holders OWRR weighs)
  and the resolved history our own omega is computed from —, the watched leaders' fills (a few days
  of history, then the run's, each visible from the moment it "arrives"), per-category boards.

The first four ticks are scripted so a short run still shows every path the monitor and the
executor take (`SCRIPT` below; each trade carries a `note` saying what it is for), each as the
public API would really show it; later ticks are background trades by the watched leaders.

OWRR design: each open market's holders are drawn until OWRR — computed by the domain's own
functions on exactly what the indexer will store: the holders' positions, and omega from
`wallet_metrics` over each wallet's resolved positions — falls in the market's designed slider band
with its designed confidence, so "a YES-leaning, high-confidence market" really is one.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from omegacopy.devstack.seed import StrategySeed
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.models import Confidence
from omegacopy.domain.money import CENT, ZERO, from_float, to_cents
from omegacopy.domain.owrr import LIFETIME_WINDOW, MIN_RESOLVED_BETS, WalletMetric, WalletPosition, compute_owrr
from omegacopy.domain.public_data import MarketRecord, OutcomeToken, PositionStatus, PublicPosition, Resolution
from omegacopy.domain.wallet_metrics import CategoryMetrics, resolved_positions, wallet_metrics

CATEGORIES = ("politics", "sports", "crypto", "economics", "culture")
TICK_SIZE = CENT
MIN_SIZE = Decimal("5")
FOLLOWER_WALLET_ID = "w-follower"
FOLLOWER_PUSD = Decimal("20000")
WATCHED_COUNT = 12
WALLET_COUNT = 150  # the other wallets: the holders OWRR weighs, and bystanders
HISTORY_MARKETS_PER_CATEGORY = 30  # resolved markets per category the wallets' track records are made of
SCRIPTED_TICKS = 4
TICK_SPACING_S = 30  # the schedule: a monitor tick now and one 30 s later, every minute
# The indexer runs before the first tick and then every this many ticks (production: every 5
# minutes = 10 ticks; the run's world is denser, and a short run still shows a resolution reaching
# the monitor through a pass).
INDEX_EVERY_TICKS = 3
STALENESS_LIMIT_S = 120  # the run's staleness tunable: a leader trade older than 2 minutes is never copied
STALE_AGE_S = 300.0  # the late-published fill: 5 minutes old when the Data API first shows it
_PRICE_STEPS = (Decimal("-0.02"), Decimal("-0.01"), Decimal("0"), Decimal("0"), Decimal("0.01"), Decimal("0.02"))
_DESIGN_NOW = datetime(2026, 1, 1, tzinfo=UTC)  # the design's reference instant (windows other than lifetime only)
YES, NO = "YES", "NO"


@dataclass(frozen=True)
class MarketSpec:
    """One binary market of the run: its Gamma row, its OWRR design and its price path.

    YES/NO are the binary sides the monitor and OWRR speak of: outcome 0 and outcome 1, whatever
    Gamma names them (`outcome_names`)."""

    key: str
    question: str
    category: str
    condition_id: str
    yes_token: str
    no_token: str
    start_yes_price: Decimal
    yes_voters: int  # qualified holders of outcome 0 (the YES side)
    no_voters: int
    slider_band: tuple[int, int]  # the OWRR slider the holders must produce
    confidence: Confidence
    outcome_names: tuple[str, str] = ("Yes", "No")
    tags: tuple[str, ...] = ()
    category_from_tags: bool = False  # Gamma leaves `category` empty: it comes from the tags
    neg_risk: bool = False
    closed: bool = False  # closed (and resolved) before the run starts
    resolves_before_tick: int | None = None  # resolved on Gamma just before this tick
    resolution: str | None = None  # the winning side, YES | NO

    def token(self, outcome: str) -> str:
        return self.yes_token if outcome == YES else self.no_token

    def index(self, outcome: str) -> int:
        return 0 if outcome == YES else 1

    def outcome_name(self, outcome: str) -> str:
        return self.outcome_names[self.index(outcome)]

    def record(self, *, resolved: bool = False) -> MarketRecord:
        """The market as the indexer will store it (the design check reads it)."""
        payouts = None
        if resolved and self.resolution is not None:
            payouts = (Decimal(1), ZERO) if self.resolution == YES else (ZERO, Decimal(1))
        return _record(self.condition_id, self.question, self.category, (self.yes_token, self.no_token),
                       names=self.outcome_names, payouts=payouts, closed=self.closed or resolved)  # fmt: skip


@dataclass(frozen=True)
class HistoryMarket:
    """A market that resolved before the run: wallets' track records are positions in these."""

    condition_id: str
    category: str
    question: str
    tokens: tuple[str, str]
    winner: int  # the outcome index that paid 1
    resolved_days_ago: float

    def record(self) -> MarketRecord:
        payouts = (Decimal(1), ZERO) if self.winner == 0 else (ZERO, Decimal(1))
        return _record(self.condition_id, self.question, self.category, self.tokens, names=("Yes", "No"),
                       payouts=payouts, closed=True)  # fmt: skip


def _record(
    condition_id: str,
    question: str,
    category: str,
    tokens: tuple[str, str],
    *,
    names: tuple[str, str],
    payouts: tuple[Decimal, ...] | None,
    closed: bool,
) -> MarketRecord:
    return MarketRecord(
        condition_id=condition_id,
        question=question,
        category=category,
        outcomes=tuple(OutcomeToken(i, names[i], tokens[i]) for i in range(2)),
        neg_risk=False,
        tick_size=TICK_SIZE,
        closed=closed,
        resolution=None if payouts is None else Resolution(payouts, None),
    )


@dataclass(frozen=True)
class PositionSpec:
    """One wallet's position in one outcome token, as the Data API serves it."""

    wallet: str
    condition_id: str
    outcome_index: int
    size: Decimal  # shares held now (0 once closed)
    avg_price: Decimal
    status: str = "OPEN"  # OPEN | REDEEMABLE (held through resolution) | CLOSED
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    total_bought: Decimal | None = None
    age_days: float = 1.0  # its last activity, this long before the run

    def public(self, token_id: str) -> PublicPosition:
        """The position as the indexer reads it (every number here survives the JSON and Float64
        round trips unchanged: at most six decimals)."""
        return PublicPosition(
            wallet=self.wallet.lower(),
            condition_id=self.condition_id,
            token_id=token_id,
            outcome_index=self.outcome_index,
            status=PositionStatus(self.status),
            size=self.size,
            avg_price=self.avg_price,
            total_bought=self.total_bought if self.total_bought is not None else self.size,
            realized_pnl=self.realized_pnl,
            unrealized_pnl=ZERO,
            fees=self.fees,
            last_event_at=None,
        )


@dataclass(frozen=True)
class HistoryFill:
    """A watched leader's fill in the days before the run (what it holds when the run starts)."""

    wallet: str
    market_key: str
    outcome: str
    shares: Decimal
    price: Decimal
    age_s: float
    tx_hash: str


@dataclass(frozen=True)
class LeaderTradeEvent:
    """One leader fill as the Data API will publish it during the run."""

    tick: int
    wallet: str
    market_key: str
    outcome: str  # YES | NO (outcome 0 | 1)
    action: str  # BUY | SELL
    shares: Decimal
    price: Decimal
    kind: str  # entry | exit | stale | closed_market | unknown_market | invalid | duplicate | late | ...
    tx_hash: str
    note: str = ""
    block_age_s: float = 1.0  # how long before it became visible on the Data API the fill happened
    late: bool = False  # stamped behind the monitor's cursor when it becomes visible (inside the look-back)
    unknown_market: str | None = None  # a condition id Gamma does not list
    unknown_token: str | None = None
    price_override: Decimal | None = None  # a malformed row: a price no fill can have

    @property
    def usd(self) -> Decimal:
        return to_cents(self.shares * self.price)


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
    history_markets: list[HistoryMarket]
    positions: list[PositionSpec]  # every position the Data API serves when the run starts
    leader_fills: list[HistoryFill]
    strategies: list[StrategySeed]
    events: list[LeaderTradeEvent]
    yes_prices: list[dict[str, Decimal]]  # per tick: market key -> fair YES price
    boards: dict[str, list[tuple[str, Decimal, Decimal]]] = field(default_factory=dict)  # category -> board
    owrr_preview: dict[str, tuple[int, str]] = field(default_factory=dict)  # market key -> (slider, confidence)
    qualified_voters: int = 0  # (wallet, category) pairs with at least MIN_RESOLVED_BETS resolved positions

    # --- lookups ----------------------------------------------------------------------------------
    def market(self, key: str) -> MarketSpec:
        for m in self.markets:
            if m.key == key:
                return m
        raise KeyError(key)

    def market_of_token(self, token_id: str) -> tuple[MarketSpec, str] | None:
        for m in self.markets:
            if token_id == m.yes_token:
                return m, YES
            if token_id == m.no_token:
                return m, NO
        return None

    def token_of(self, condition_id: str, outcome_index: int) -> str:
        for m in self.markets:
            if m.condition_id == condition_id:
                return m.yes_token if outcome_index == 0 else m.no_token
        for h in self.history_markets:
            if h.condition_id == condition_id:
                return h.tokens[outcome_index]
        raise KeyError(condition_id)

    def leader_name(self, address: str) -> str:
        for leader in self.leaders:
            if leader.address == address.lower():
                return leader.name
        return address

    def arrivals(self, tick: int) -> list[LeaderTradeEvent]:
        """The fills the Data API starts showing during the gap before `tick` (late ones included)."""
        return [e for e in self.events if e.tick == tick]

    def resolutions(self, tick: int) -> list[MarketSpec]:
        return [m for m in self.markets if m.resolves_before_tick == tick]

    def resolved_by(self, tick: int) -> set[str]:
        """Keys of markets resolved before `tick` (inclusive of resolutions at `tick`)."""
        return {m.key for m in self.markets if m.resolves_before_tick is not None and m.resolves_before_tick <= tick}

    def index_before(self, tick: int) -> bool:
        """Whether the indexer runs in the gap before `tick` (the first pass is the setup's)."""
        return tick > 0 and tick % INDEX_EVERY_TICKS == 0

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
        status = Counter(p.status for p in self.positions)
        return {
            "seed": self.seed,
            "ticks": self.ticks,
            "index_every_ticks": INDEX_EVERY_TICKS,
            "wallets": len(self.leaders),
            "watched_leaders": [f"{w.name} {w.address}" for w in self.watched],
            "qualified_voters": self.qualified_voters,
            "resolved_history_markets": len(self.history_markets),
            "positions_published": dict(sorted(status.items())),
            "leader_history_fills": len(self.leader_fills),
            "markets": [
                {
                    "key": m.key,
                    "question": m.question,
                    "category": m.category,
                    "outcomes": list(m.outcome_names),
                    "condition_id": m.condition_id,
                    "yes_token": m.yes_token,
                    "no_token": m.no_token,
                    "neg_risk": m.neg_risk,
                    "closed": m.closed,
                    "resolves_before_tick": None if m.resolves_before_tick is None else m.resolves_before_tick + 1,
                    "resolution": None if m.resolution is None else m.outcome_name(m.resolution),
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
                {"tick": e.tick + 1, "kind": e.kind, "tx_hash": e.tx_hash, "note": e.note}
                for e in self.events
                if e.kind != "background"
            ],
        }


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


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------
_MARKET_DESIGN: tuple[tuple[str, str, str, float, int, int, tuple[int, int], Confidence, dict[str, Any]], ...] = (
    # key, question, category, start YES price, YES voters, NO voters, slider band, confidence, extra
    ("M0", "Will the incumbent party win the 2028 US presidential election?", "politics", 0.58, 18, 6,
     (72, 90), Confidence.HIGH, {"tags": ("Politics", "Elections")}),
    ("M1", "Will Gov. Alvarez win the 2028 Democratic nomination?", "politics", 0.31, 4, 11,
     (10, 32), Confidence.MEDIUM, {"neg_risk": True}),
    ("M2", "NBA Finals 2027: Lakers vs. Celtics", "sports", 0.52, 12, 9,
     (57, 63), Confidence.HIGH, {"outcome_names": ("Lakers", "Celtics"), "tags": ("Sports", "NBA")}),
    ("M3", "Will Argentina win the 2026 FIFA World Cup?", "sports", 0.24, 10, 4,
     (66, 85), Confidence.MEDIUM, {"tags": ("Soccer", "Sports"), "category_from_tags": True}),
    ("M4", "Bitcoin up or down on December 31, 2026?", "crypto", 0.41, 16, 5,
     (70, 90), Confidence.HIGH, {"outcome_names": ("Up", "Down"), "tags": ("Crypto", "Bitcoin")}),
    ("M5", "Will the Ethereum staking ETF be approved by June 30?", "crypto", 0.63, 9, 2,
     (50, 50), Confidence.INSUFFICIENT, {}),
    ("M6", "Will the Fed cut rates at the September meeting?", "economics", 0.44, 5, 17,
     (8, 30), Confidence.HIGH, {}),
    ("M7", "Will the Senate confirm the Treasury nominee by March 1?", "politics", 0.90, 0, 0,
     (0, 100), Confidence.INSUFFICIENT, {"closed": True, "resolution": YES}),
    ("M8", "Will the home team win tonight's Champions League final?", "sports", 0.66, 15, 6,
     (70, 90), Confidence.HIGH, {"resolves_before_tick": 3, "resolution": YES}),
    ("M9", "Will the summer blockbuster gross $1B worldwide?", "culture", 0.35, 8, 5,
     (55, 80), Confidence.MEDIUM, {}),
)  # fmt: skip

# What the watched leaders hold when the run starts, bought in the days before (leader, market,
# side, shares): every open market has one, so the indexer's first pass follows it (markets a
# tracked wallet traded in the last 7 days get holders). None is in a token a scripted exit sells
# (those sell exactly what the run bought); L3's is what its scripted sale sells from.
LEADER_HISTORY: tuple[tuple[str, str, str, int], ...] = (
    ("L2", "M0", NO, 500), ("L5", "M1", NO, 800), ("L7", "M2", YES, 300), ("L3", "M3", NO, 600),
    ("L10", "M4", NO, 400), ("L10", "M5", YES, 200), ("L8", "M6", NO, 500), ("L4", "M8", YES, 700),
    ("L9", "M9", YES, 300),
)  # fmt: skip
# A watched leader whose fills the Data API shows, and a strategy lists, in EIP-55 mixed case.
MIXED_CASE_LEADER = "L4"

_HISTORY_QUESTIONS = {
    "politics": "Will candidate #{n} win the {year} state election?",
    "sports": "Will team #{n} win the {year} league final?",
    "crypto": "Will token #{n} close {year} above its listing price?",
    "economics": "Will inflation print #{n} of {year} come in above forecast?",
    "culture": "Will film #{n} top the {year} box office?",
}


def generate_scenario(seed: int = 7, ticks: int = 12) -> Scenario:
    """The world for `seed`; `ticks` only decides how many ticks of trades (and prices) there are.

    Each part draws from its own random stream, so the same seed gives the same wallets, markets,
    positions, ids and scripted trades whatever the number of ticks."""
    if ticks < 1:
        raise ValueError("a run needs at least one tick")

    def stream(part: str) -> random.Random:
        return random.Random(f"omegacopy/local-run/{seed}/{part}")

    rng = stream("world")
    wallets = [Leader(f"W{i:03d}", _address(rng)) for i in range(WATCHED_COUNT + WALLET_COUNT)]
    watched = [Leader(f"L{i}", wallets[i].address) for i in range(WATCHED_COUNT)]
    leaders = watched + wallets[WATCHED_COUNT:]
    markets = [
        MarketSpec(
            key=key,
            question=question,
            category=category,
            condition_id=_condition_id(rng),
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
    history_markets = _history_markets(stream("history-markets"))
    track = _track_records(stream("track-records"), leaders, history_markets)
    yes_prices = _price_paths(stream("prices"), markets, max(ticks, SCRIPTED_TICKS))
    by_name = {w.name: w.address for w in watched}
    scripted = _scripted(stream("script"), by_name, yes_prices)
    background = _background(stream("background"), watched, markets, yes_prices, ticks)
    fills = _leader_history(stream("leader-history"), by_name, markets)
    metrics = _lifetime_metrics(track.positions, history_markets)
    holdings, preview = _holdings(stream("holders"), markets, watched=watched, wallets=leaders, track=track,
                                  fills=fills, metrics=metrics)  # fmt: skip
    events = [e for e in scripted if e.tick < ticks] + background
    return Scenario(
        seed=seed,
        ticks=ticks,
        leaders=leaders,
        watched=watched,
        markets=markets,
        history_markets=history_markets,
        positions=track.positions + holdings,
        leader_fills=fills,
        strategies=_strategies(by_name),
        events=sorted(events, key=lambda e: (e.tick, e.tx_hash)),
        yes_prices=yes_prices[:ticks],
        boards=_boards(metrics),
        owrr_preview=preview,
        qualified_voters=sum(len(v) for v in track.qualified.values()),
    )


def _address(rng: random.Random) -> str:
    return f"0x{rng.getrandbits(160):040x}"


def _condition_id(rng: random.Random) -> str:
    return f"0x{rng.getrandbits(256):064x}"


def _tx_hash(rng: random.Random) -> str:
    return f"0x{rng.getrandbits(256):064x}"


def _token_id(rng: random.Random) -> str:
    """A realistic outcome token id: a uint256 printed in decimal, 77 digits."""
    return str(rng.randrange(10**76, 10**77))


def _cents(value: float) -> Decimal:
    return to_cents(from_float(value))


def _history_markets(rng: random.Random) -> list[HistoryMarket]:
    out = []
    for category in CATEGORIES:
        for n in range(HISTORY_MARKETS_PER_CATEGORY):
            days_ago = round(rng.uniform(2, 400), 3)
            out.append(
                HistoryMarket(
                    condition_id=_condition_id(rng),
                    category=category,
                    question=_HISTORY_QUESTIONS[category].format(n=n + 1, year=2025 - int(days_ago // 365)),
                    tokens=(_token_id(rng), _token_id(rng)),
                    winner=rng.randrange(2),
                    resolved_days_ago=days_ago,
                )
            )
    return out


@dataclass
class _TrackRecords:
    positions: list[PositionSpec]
    qualified: dict[str, list[str]]  # category -> wallets with at least MIN_RESOLVED_BETS resolved positions
    casual: dict[str, list[str]]  # category -> wallets with a few (never enough to vote)


def _track_records(rng: random.Random, wallets: Sequence[Leader], history: Sequence[HistoryMarket]) -> _TrackRecords:
    """Every wallet's resolved positions: the watched leaders have a record in three categories,
    the others in one to three, most of them enough to vote (≥ MIN_RESOLVED_BETS), some not."""
    by_category: dict[str, list[HistoryMarket]] = defaultdict(list)
    for m in history:
        by_category[m.category].append(m)
    out = _TrackRecords([], defaultdict(list), defaultdict(list))
    for index, wallet in enumerate(wallets):
        watched = index < WATCHED_COUNT
        count = 3 if watched else rng.choice((1, 2, 2, 3))
        for category in rng.sample(CATEGORIES, count):
            if watched or rng.random() < 0.75:
                bets = rng.randint(15 if watched else MIN_RESOLVED_BETS, HISTORY_MARKETS_PER_CATEGORY)
                out.qualified[category].append(wallet.address)
            else:
                bets = rng.randint(1, MIN_RESOLVED_BETS - 3)
                out.casual[category].append(wallet.address)
            out.positions.extend(_record_of(rng, wallet.address, by_category[category], bets))
    return out


def _record_of(rng: random.Random, wallet: str, markets: Sequence[HistoryMarket], bets: int) -> list[PositionSpec]:
    """`bets` resolved positions (one per market) whose gains over losses come near an omega drawn
    like a real book's; one wallet in thirty never lost (our omega: the cap, OWRR: 5)."""
    never_lost = rng.random() < 1 / 30
    target = min(max(rng.lognormvariate(0.25, 0.55), 0.05), 9.0)
    picked = rng.sample(list(markets), bets)
    losers = 0 if never_lost else min(bets - 1, max(1, round(bets * rng.uniform(0.3, 0.65))))
    out: list[PositionSpec] = []
    losses = ZERO
    for m in picked[:losers]:
        age = m.resolved_days_ago + rng.uniform(0.5, 20)
        if rng.random() < 0.3:  # held the losing outcome through resolution: it pays nothing
            size, avg = _cents(rng.uniform(20, 600)), _cents(rng.uniform(0.15, 0.85))
            out.append(PositionSpec(wallet, m.condition_id, 1 - m.winner, size, avg, "REDEEMABLE", age_days=age))
            losses += size * avg
        else:  # sold at a loss before resolution (fees paid on entry come off the realized P&L)
            loss, fees = _cents(rng.uniform(5, 400)), _cents(rng.uniform(0, 3))
            avg = _cents(rng.uniform(0.1, 0.9))
            out.append(PositionSpec(wallet, m.condition_id, rng.randrange(2), ZERO, avg, "CLOSED", fees - loss, fees,
                                    _cents(rng.uniform(20, 900)), age))  # fmt: skip
            losses += loss
    winners = picked[losers:]
    total = losses * from_float(round(target, 4)) if losses else _cents(rng.uniform(200, 3000))
    weights = [rng.uniform(0.2, 1.0) for _ in winners]
    for m, weight in zip(winners, weights, strict=True):
        gain = max(CENT, to_cents(total * from_float(weight / sum(weights))))
        age = max(0.01, m.resolved_days_ago - rng.uniform(0, 1))
        if rng.random() < 0.25:  # held the winner through resolution, not redeemed yet
            avg = _cents(rng.uniform(0.2, 0.9))
            size = max(CENT, to_cents(gain / (1 - avg)))
            out.append(PositionSpec(wallet, m.condition_id, m.winner, size, avg, "REDEEMABLE", age_days=age))
        else:  # sold at a profit, or redeemed
            fees = _cents(rng.uniform(0, 3))
            out.append(PositionSpec(wallet, m.condition_id, rng.randrange(2), ZERO, _cents(rng.uniform(0.1, 0.9)),
                                    "CLOSED", gain + fees, fees, _cents(rng.uniform(20, 900)), age))  # fmt: skip
    return out


def _lifetime_metrics(positions: Sequence[PositionSpec], history: Sequence[HistoryMarket]) -> list[CategoryMetrics]:
    """Each wallet's lifetime metrics per category, computed by the domain exactly as the indexer
    will compute them from the same positions."""
    records = {m.condition_id: m.record() for m in history}
    by_wallet: dict[str, list[PublicPosition]] = defaultdict(list)
    for p in positions:
        market = records.get(p.condition_id)
        if market is not None:
            token = market.outcomes[p.outcome_index].token_id
            by_wallet[p.wallet].append(p.public(token))
    out: list[CategoryMetrics] = []
    for wallet, held in by_wallet.items():
        rows = wallet_metrics(wallet, resolved_positions(held, records), now=_DESIGN_NOW)
        out.extend(r for r in rows if r.window == LIFETIME_WINDOW and r.category != "overall")
    return out


def _as_metric(m: CategoryMetrics) -> WalletMetric:
    """A metrics row as OWRR reads it back from ClickHouse (its Float64 omega)."""
    return WalletMetric(m.wallet, m.category, m.window, None if m.omega_net is None else float(m.omega_net),
                        m.resolved_bets)  # fmt: skip


def _boards(metrics: Iterable[CategoryMetrics]) -> dict[str, list[tuple[str, Decimal, Decimal]]]:
    """Per category, the all-time P&L board (wallet, P&L, volume) `omegacopy leaders discover` reads."""
    boards: dict[str, list[tuple[str, Decimal, Decimal]]] = defaultdict(list)
    for m in metrics:
        if m.resolved_bets >= MIN_RESOLVED_BETS:
            boards[m.category].append((m.wallet, m.realized_pnl_usd, m.gains_usd + m.losses_usd))
    return {c: sorted(rows, key=lambda r: (-r[1], r[0]))[:25] for c, rows in sorted(boards.items())}


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
    fair = yes if outcome == YES else 1 - yes
    return fair + CENT if action == "BUY" else fair - CENT


def _shares(rng: random.Random, median: float, sigma: float = 0.8, low: float = 20, high: float = 25_000) -> Decimal:
    value = min(max(rng.lognormvariate(math.log(median), sigma), low), high)
    return to_cents(Decimal(round(value)))


# fmt: off
# tick, leader, market, outcome, action, shares (None: random), kind, note, options
SCRIPT: tuple[tuple[int, str, str, str, str, int | None, str, str, dict[str, Any]], ...] = (
    (0, "L0", "M0", YES, "BUY", 400, "entry", "S1 copies (OWRR sizing), S4 copies (GTC)", {}),
    (0, "L4", "M3", YES, "BUY", 900, "entry", "S2 copies ($50 fixed), S1 category_not_tracked, S4 low_confidence",
     {}),
    (0, "L6", "M4", YES, "BUY", 7000, "entry",
     "S3 copies 3% of the leader's dollars (Up is the YES side of this Up/Down market); S2 category_not_tracked", {}),
    (0, "L1", "M7", YES, "BUY", 500, "closed_market", "a fill in a market already closed: market_closed", {}),
    (0, "L2", "M0", YES, "BUY", 800, "stale",
     "the Data API shows this fill 5 minutes late (inside the monitor's look-back): stale_trade",
     {"block_age_s": STALE_AGE_S}),
    (0, "L4", "M3", YES, "BUY", 300, "unknown_market", "a fill in a market Gamma does not list: invalid_source",
     {"unknown_market": True}),
    (0, "L9", "M9", YES, "BUY", 1200, "entry", "culture is nobody's category: category_not_tracked", {}),
    (1, "L4", "M8", YES, "BUY", 1500, "entry", "S2 and S4 buy the market that resolves later", {}),
    (1, "L7", "M2", YES, "BUY", 1100, "duplicate",
     "served again by every later read inside the look-back (the next ticks', the indexer's): one signal per "
     "strategy, one trades_raw row", {}),
    (1, "L5", "M1", NO, "BUY", 1400, "entry", "S1 copies a NO buy on a NO-leaning (neg-risk) market", {}),
    (1, "L10", "M5", YES, "BUY", 900, "entry", "thin consensus (insufficient data): S3/S4 skip", {}),
    (1, "L8", "M6", YES, "BUY", 1000, "entry", "YES against a NO-leaning market: owrr_below_threshold", {}),
    (1, "L9", "M4", YES, "BUY", 600, "invalid", "a malformed row the Data API serves (price 1.7): invalid_source",
     {"price_override": "1.7"}),
    (2, "L11", "M4", YES, "BUY", 4000, "late",
     "published after the monitor's cursor passed its time, inside the look-back: still copied", {"late": True}),
    (2, "L0", "M0", YES, "SELL", 200, "exit", "the leader sells half: S1 and S4 sell half of theirs", {}),
    (2, "L1", "M6", NO, "BUY", 700, "price_moved",
     "the leader bought before the book ran up 7 cents: S1 copies, the executor refuses (price_moved)",
     {"price_shift": "-0.07", "block_age_s": 25.0}),
    (2, "L3", "M3", NO, "SELL", 250, "no_position",
     "the leader sells from what it held before the run: no strategy holds it", {}),
    (3, "L4", "M8", YES, "BUY", 800, "resolved_market",
     "a fill after the market resolved (the indexer's pass before this tick read the resolution): market_closed",
     {}),
    (3, "L0", "M0", YES, "SELL", 200, "exit", "the leader sells the rest: S1 and S4 close the position", {}),
    (3, "L6", "M4", YES, "SELL", 2100, "exit", "the leader sells 30%: S3 sells 30% of its holding", {}),
    (3, "L5", "M6", NO, "BUY", 1600, "entry", "a NO buy on a NO-leaning economics market: S1 copies", {}),
)
# fmt: on


def _scripted(
    rng: random.Random, leaders: dict[str, str], yes_prices: Sequence[dict[str, Decimal]]
) -> list[LeaderTradeEvent]:
    """Every scripted trade (all ticks: the caller drops those past the run's last tick)."""
    out: list[LeaderTradeEvent] = []
    for tick, leader, market, outcome, action, shares, kind, note, opts in SCRIPT:
        price = _touch(yes_prices, tick, market, outcome, action) + Decimal(opts.get("price_shift", "0"))
        tx_hash = _tx_hash(rng)
        block_age = float(opts.get("block_age_s", round(rng.uniform(0.5, 3.0), 3)))
        unknown = opts.get("unknown_market")
        out.append(
            LeaderTradeEvent(
                tick=tick,
                wallet=leaders[leader],
                market_key=market,
                outcome=outcome,
                action=action,
                shares=to_cents(Decimal(shares if shares is not None else 500)),
                price=price,
                kind=kind,
                tx_hash=tx_hash,
                note=note,
                block_age_s=block_age,
                late=bool(opts.get("late", False)),
                unknown_market=_condition_id(rng) if unknown else None,
                unknown_token=_token_id(rng) if unknown else None,
                price_override=Decimal(opts["price_override"]) if "price_override" in opts else None,
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
                outcome = YES if rng.random() < 0.2 + 0.6 * lean_yes else NO
                market, wallet, shares, action = spec.key, leader.address, _shares(rng, 900), "BUY"
            holdings[(wallet, market, outcome)] += shares if action == "BUY" else -shares
            out.append(
                LeaderTradeEvent(
                    tick=tick,
                    wallet=wallet,
                    market_key=market,
                    outcome=outcome,
                    action=action,
                    shares=shares,
                    price=_touch(yes_prices, tick, market, outcome, action),
                    kind="background",
                    tx_hash=_tx_hash(rng),
                    block_age_s=rng.uniform(0.5, 3.0),
                )
            )
    return out


def _leader_history(rng: random.Random, leaders: dict[str, str], markets: Sequence[MarketSpec]) -> list[HistoryFill]:
    by_key = {m.key: m for m in markets}
    out = []
    for leader, key, outcome, shares in LEADER_HISTORY:
        market = by_key[key]
        fair = market.start_yes_price if outcome == YES else 1 - market.start_yes_price
        price = min(max(fair + CENT * rng.randrange(-3, 4), Decimal("0.02")), Decimal("0.98"))
        age_s = round(rng.uniform(2 * 3_600, 5 * 86_400), 1)
        out.append(HistoryFill(leaders[leader], key, outcome, Decimal(shares), price, age_s, _tx_hash(rng)))
    return out


def _holdings(
    rng: random.Random,
    markets: Sequence[MarketSpec],
    *,
    watched: Sequence[Leader],
    wallets: Sequence[Leader],
    track: _TrackRecords,
    fills: Sequence[HistoryFill],
    metrics: Sequence[CategoryMetrics],
) -> tuple[list[PositionSpec], dict[str, tuple[int, str]]]:
    """The open positions of every open market, drawn until its OWRR is the designed one.

    The check runs the domain's `compute_owrr` on exactly what the monitor will read the first time
    it prices the market: the holder snapshot of the indexer's first pass (these positions, the
    leaders' pre-run holdings and the bystanders', the largest by value) and the omega the indexer
    computes for each holder (the OWRR cache keeps that result for its TTL). Noise: bystanders
    without enough resolved bets in the category (they never vote), and voters who already sold out."""
    leaders = {w.address for w in watched}
    by_category: dict[str, list[WalletMetric]] = defaultdict(list)
    for m in metrics:
        by_category[m.category].append(_as_metric(m))
    out: list[PositionSpec] = []
    preview: dict[str, tuple[int, str]] = {}
    for market in markets:
        if market.closed:
            continue  # no holders read: its trades skip as market_closed
        voters = sorted(set(track.qualified[market.category]) - leaders)
        bystanders = sorted({w.address for w in wallets} - set(track.qualified[market.category]) - leaders)
        fixed = [
            PositionSpec(f.wallet, market.condition_id, market.index(f.outcome), f.shares, f.price,
                         age_days=f.age_s / 86_400)
            for f in fills
            if f.market_key == market.key
        ]  # fmt: skip
        for wallet in rng.sample(bystanders, 4):
            outcome = rng.choice((YES, NO))
            fixed.append(_open(rng, market, wallet, outcome, _shares(rng, 200), spread=0))
        for _attempt in range(2000):
            picked = rng.sample(voters, market.yes_voters + market.no_voters)
            rows = [_open(rng, market, w, YES if i < market.yes_voters else NO, _shares(rng, 1500, 0.7))
                    for i, w in enumerate(picked)]  # fmt: skip
            result = compute_owrr(market.category, [_holder(p) for p in rows + fixed], by_category[market.category])
            low, high = market.slider_band
            if result.confidence is market.confidence and low <= result.slider <= high:
                break
        else:
            raise RuntimeError(f"no holders give {market.key} its designed OWRR; try another --seed")
        preview[market.key] = (result.slider, result.confidence.value)
        out.extend(fixed + rows)
        others = sorted(set(voters) - set(picked))
        for wallet in rng.sample(others, min(3, len(others))):  # sold out before the run: closed, no holder
            fair = market.start_yes_price
            out.append(PositionSpec(wallet, market.condition_id, rng.randrange(2), ZERO, fair, "CLOSED",
                                    _cents(rng.uniform(-40, 60)), ZERO, _shares(rng, 900),
                                    round(rng.uniform(1, 30), 3)))  # fmt: skip
    return out, preview


def _open(
    rng: random.Random, market: MarketSpec, wallet: str, outcome: str, shares: Decimal, *, spread: int = 6
) -> PositionSpec:
    fair = market.start_yes_price if outcome == YES else 1 - market.start_yes_price
    price = min(max(fair + Decimal(rng.randrange(-spread, spread + 1)) * CENT, Decimal("0.02")), Decimal("0.98"))
    return PositionSpec(wallet, market.condition_id, market.index(outcome), shares, price,
                        age_days=round(rng.uniform(1, 40), 3))  # fmt: skip


def _holder(p: PositionSpec) -> WalletPosition:
    """An open position as OWRR reads it from the holder snapshot (Float64 shares and entry price,
    valued at cost)."""
    shares, price = float(p.size), float(p.avg_price)
    return WalletPosition(p.wallet, YES if p.outcome_index == 0 else NO, shares, price, shares * price)


def _strategies(leaders: dict[str, str]) -> list[StrategySeed]:
    def watch(*names: str) -> list[str]:
        # an operator pastes addresses in any case: one of them checksummed (EIP-55)
        return [to_checksum_address(leaders[n]) if n == MIXED_CASE_LEADER else leaders[n] for n in names]

    return [
        StrategySeed(
            "s-politics-owrr", FOLLOWER_WALLET_ID, watch("L0", "L1", "L2", "L3", "L4", "L5"),
            categories=("politics", "economics"), balance_usd=Decimal("5000"), max_position_size_usd=Decimal("400"),
            max_positions=8, risk_per_trade_percent=Decimal("2"), owrr_threshold_yes=60, owrr_threshold_no=40,
            min_owrr_confidence="medium", sizing_mode="owrr", slippage_ceiling=Decimal("0.02"), order_style="FAK",
            name="S1 politics & economics, OWRR-sized",
        ),
        # S1's paper twin: the same leaders and settings, filled on paper against the same books
        StrategySeed(
            "s-politics-paper", FOLLOWER_WALLET_ID, watch("L0", "L1", "L2", "L3", "L4", "L5"),
            categories=("politics", "economics"), balance_usd=Decimal("5000"), max_position_size_usd=Decimal("400"),
            max_positions=8, risk_per_trade_percent=Decimal("2"), owrr_threshold_yes=60, owrr_threshold_no=40,
            min_owrr_confidence="medium", sizing_mode="owrr", slippage_ceiling=Decimal("0.02"), order_style="FAK",
            name="S1 on paper", mode="paper",
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


__all__ = [
    "FOLLOWER_PUSD",
    "FOLLOWER_WALLET_ID",
    "INDEX_EVERY_TICKS",
    "MIN_SIZE",
    "MIXED_CASE_LEADER",
    "STALENESS_LIMIT_S",
    "TICK_SIZE",
    "TICK_SPACING_S",
    "Book",
    "HistoryFill",
    "HistoryMarket",
    "Leader",
    "LeaderTradeEvent",
    "MarketSpec",
    "PositionSpec",
    "Scenario",
    "generate_scenario",
]
