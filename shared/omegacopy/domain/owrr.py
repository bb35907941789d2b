"""OWRR — the Omega-Weighted Risk Ratio of one market (definition: docs/owrr.md).

Pure and stdlib-only. The numbers must match the original TypeScript module on the same inputs, so
this works in IEEE doubles like the JS did: votes are summed left to right in ranking order (no
compensated summation), and the slider uses JS `Math.round` semantics (ties toward +infinity).

Where the definition is silent, the choices are:
- ranking ties on `total_position_value` are broken by lower-cased wallet address, ascending, so the
  top-20 cut never depends on row order (a NaN value ranks last);
- wallet addresses are matched case-insensitively (hex addresses are case-insensitive); the
  breakdown reports the address as the position row spelled it;
- duplicate position rows of one (wallet, side) are merged (shares and value summed, entry price
  share-weighted), as step 1 of the definition would have summed them;
- a vote that is not finite (e.g. an infinite risk) is dropped along with ≤ 0 / NaN ones, so
  `owrr` is always in [0, 1] (the JS would have produced NaN there).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from omegacopy.domain.models import Confidence

YES = "YES"
NO = "NO"
SIDES = (YES, NO)
LIFETIME_WINDOW = "lifetime"

TOP_WALLETS_PER_SIDE = 20
MIN_RESOLVED_BETS = 10
MIN_VOTES_PER_SIDE = 3
OMEGA_FLOOR = 0.1
OMEGA_CAP = 5.0
HIGH_CONFIDENCE_VOTES = 20
MEDIUM_CONFIDENCE_VOTES = 12

NEUTRAL_OWRR = 0.5
NEUTRAL_SLIDER = 50


@dataclass(frozen=True, slots=True)
class WalletPosition:
    """One wallet's open position on one side of the market, already summed over its open rows."""

    wallet_address: str
    side: str
    total_shares: float
    weighted_avg_entry_price: float
    total_position_value: float

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"side must be 'YES' or 'NO', got {self.side!r}")


@dataclass(frozen=True, slots=True)
class WalletMetric:
    """One row of wallet_metrics_by_category (only the columns OWRR reads)."""

    wallet_address: str
    category: str
    window: str
    metric_2_omega_net: float | None
    metric_22_resolved_bets: int | None


@dataclass(frozen=True, slots=True)
class Vote:
    """A positive vote of one wallet on one side."""

    wallet: str
    omega: float
    open_risk: float
    vote: float
    resolved_bets: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "wallet": self.wallet,
            "omega": self.omega,
            "open_risk": self.open_risk,
            "vote": self.vote,
            "resolved_bets": self.resolved_bets,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vote:
        return cls(
            wallet=_as_str(data, "wallet"),
            omega=_as_float(data, "omega"),
            open_risk=_as_float(data, "open_risk"),
            vote=_as_float(data, "vote"),
            resolved_bets=_as_int(data, "resolved_bets"),
        )


@dataclass(frozen=True, slots=True)
class OwrrResult:
    owrr: float
    slider: int
    yes_score: float
    no_score: float
    yes_qualified: int
    no_qualified: int
    yes_avg_omega: float
    no_avg_omega: float
    yes_avg_risk: float
    no_avg_risk: float
    category: str | None
    confidence: Confidence
    yes_votes: tuple[Vote, ...] = ()
    no_votes: tuple[Vote, ...] = ()

    @property
    def is_neutral(self) -> bool:
        """True when the gate failed (or the category was unknown): the decision must skip."""
        return self.confidence is Confidence.INSUFFICIENT

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the original module (also what the tick caches in PostgreSQL)."""
        return {
            "owrr": self.owrr,
            "slider": self.slider,
            "yes_score": self.yes_score,
            "no_score": self.no_score,
            "yes_qualified": self.yes_qualified,
            "no_qualified": self.no_qualified,
            "yes_avg_omega": self.yes_avg_omega,
            "no_avg_omega": self.no_avg_omega,
            "yes_avg_risk": self.yes_avg_risk,
            "no_avg_risk": self.no_avg_risk,
            "category": self.category,
            "confidence": self.confidence.value,
            "breakdown": {
                "yes_votes": [v.to_dict() for v in self.yes_votes],
                "no_votes": [v.to_dict() for v in self.no_votes],
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OwrrResult:
        """Inverse of `to_dict`; raises ValueError on a malformed document (a bad cache row)."""
        if not isinstance(data, Mapping):
            raise ValueError("OWRR result must be a JSON object")
        category = data.get("category")
        if category is not None and not isinstance(category, str):
            raise ValueError("OWRR result field 'category' must be a string or null")
        try:
            confidence = Confidence(_as_str(data, "confidence"))
        except ValueError:
            raise ValueError(f"OWRR result has unknown confidence {data.get('confidence')!r}") from None
        breakdown = data.get("breakdown", {})
        if not isinstance(breakdown, Mapping):
            raise ValueError("OWRR result field 'breakdown' must be an object")
        owrr, slider = _as_float(data, "owrr"), _as_int(data, "slider")
        if not (0.0 <= owrr <= 1.0 and 0 <= slider <= 100):  # also rejects NaN
            raise ValueError(f"OWRR result out of range: owrr {owrr!r}, slider {slider!r}")
        return cls(
            owrr=owrr,
            slider=slider,
            yes_score=_as_float(data, "yes_score"),
            no_score=_as_float(data, "no_score"),
            yes_qualified=_as_int(data, "yes_qualified"),
            no_qualified=_as_int(data, "no_qualified"),
            yes_avg_omega=_as_float(data, "yes_avg_omega"),
            no_avg_omega=_as_float(data, "no_avg_omega"),
            yes_avg_risk=_as_float(data, "yes_avg_risk"),
            no_avg_risk=_as_float(data, "no_avg_risk"),
            category=category,
            confidence=confidence,
            yes_votes=_votes_from(breakdown, "yes_votes"),
            no_votes=_votes_from(breakdown, "no_votes"),
        )


def neutral_owrr(category: str | None) -> OwrrResult:
    """The no-opinion result (unknown category, failed computation without a cache): decisions skip."""
    return OwrrResult(
        owrr=NEUTRAL_OWRR,
        slider=NEUTRAL_SLIDER,
        yes_score=0.0,
        no_score=0.0,
        yes_qualified=0,
        no_qualified=0,
        yes_avg_omega=0.0,
        no_avg_omega=0.0,
        yes_avg_risk=0.0,
        no_avg_risk=0.0,
        category=category,
        confidence=Confidence.INSUFFICIENT,
    )


def js_round(x: float) -> int:
    """JavaScript `Math.round`: nearest integer, ties toward +infinity (62.5 → 63, -2.5 → -2).

    `floor(x + 0.5)` is not the same: the addition can round up (0.49999999999999994 + 0.5 == 1.0).
    `x - floor(x)` is exact in binary floating point, so comparing it with 0.5 is.
    """
    floor = math.floor(x)
    return int(floor) + (1 if x - floor >= 0.5 else 0)


def clamp_omega(omega_net: float | None) -> float:
    """`min(max(omega || 1.0, 0.1), 5.0)` with JS truthiness: None, 0 and NaN all become 1.0."""
    if omega_net is None or omega_net == 0 or math.isnan(omega_net):
        return 1.0
    return min(max(omega_net, OMEGA_FLOOR), OMEGA_CAP)


def open_risk(side: str, total_shares: float, avg_entry: float) -> float:
    """Dollars at risk: the stake for YES, the complement price times shares for NO."""
    if side == YES:
        return total_shares * avg_entry
    return total_shares * (1.0 - avg_entry)


def confidence_for(positive_votes: int) -> Confidence:
    if positive_votes >= HIGH_CONFIDENCE_VOTES:
        return Confidence.HIGH
    if positive_votes >= MEDIUM_CONFIDENCE_VOTES:
        return Confidence.MEDIUM
    return Confidence.LOW


def compute_owrr(
    category: str | None,
    positions: Iterable[WalletPosition],
    metrics: Iterable[WalletMetric],
) -> OwrrResult:
    """OWRR of one market in `category` from its open positions and the wallets' metrics."""
    if category is None or not category.strip():
        return neutral_owrr(category)

    lookup = _metrics_lookup(category, metrics)
    merged = _merge_positions(positions)
    yes_votes = _side_votes(_top_wallets(merged[YES]), lookup)
    no_votes = _side_votes(_top_wallets(merged[NO]), lookup)

    if len(yes_votes) < MIN_VOTES_PER_SIDE or len(no_votes) < MIN_VOTES_PER_SIDE:
        # Not enough smart money on one side: neutral, but counts and breakdown are still reported.
        return replace(
            neutral_owrr(category),
            yes_qualified=len(yes_votes),
            no_qualified=len(no_votes),
            yes_votes=yes_votes,
            no_votes=no_votes,
        )

    yes_score = _sum(v.vote for v in yes_votes)
    no_score = _sum(v.vote for v in no_votes)
    owrr = yes_score / (yes_score + no_score)
    return OwrrResult(
        owrr=owrr,
        slider=js_round(100 * owrr),
        yes_score=yes_score,
        no_score=no_score,
        yes_qualified=len(yes_votes),
        no_qualified=len(no_votes),
        yes_avg_omega=_sum(v.omega for v in yes_votes) / len(yes_votes),
        no_avg_omega=_sum(v.omega for v in no_votes) / len(no_votes),
        yes_avg_risk=_sum(v.open_risk for v in yes_votes) / len(yes_votes),
        no_avg_risk=_sum(v.open_risk for v in no_votes) / len(no_votes),
        category=category,
        confidence=confidence_for(len(yes_votes) + len(no_votes)),
        yes_votes=yes_votes,
        no_votes=no_votes,
    )


# --- internals -------------------------------------------------------------------------------------


def _sum(values: Iterable[float]) -> float:
    # Left-to-right like JS `reduce`; Python ≥ 3.12's `sum` compensates and could differ in the last bit.
    total = 0.0
    for v in values:
        total += v
    return total


def _metrics_lookup(category: str, metrics: Iterable[WalletMetric]) -> dict[str, WalletMetric]:
    lookup: dict[str, WalletMetric] = {}
    for m in metrics:
        if m.window == LIFETIME_WINDOW and m.category == category:
            lookup[m.wallet_address.lower()] = m  # duplicates: the last row read wins
    return lookup


def _merge_positions(positions: Iterable[WalletPosition]) -> dict[str, list[WalletPosition]]:
    by_key: dict[tuple[str, str], WalletPosition] = {}
    for p in positions:
        key = (p.side, p.wallet_address.lower())
        prev = by_key.get(key)
        if prev is None:
            by_key[key] = p
            continue
        shares = prev.total_shares + p.total_shares
        cost = prev.total_shares * prev.weighted_avg_entry_price + p.total_shares * p.weighted_avg_entry_price
        by_key[key] = WalletPosition(
            wallet_address=prev.wallet_address,
            side=p.side,
            total_shares=shares,
            weighted_avg_entry_price=cost / shares if shares else 0.0,
            total_position_value=prev.total_position_value + p.total_position_value,
        )
    sides: dict[str, list[WalletPosition]] = {YES: [], NO: []}
    for (side, _), p in by_key.items():
        sides[side].append(p)
    return sides


def _top_wallets(positions: list[WalletPosition]) -> list[WalletPosition]:
    def rank(p: WalletPosition) -> tuple[float, str]:
        value = p.total_position_value
        return (math.inf if math.isnan(value) else -value, p.wallet_address.lower())

    return sorted(positions, key=rank)[:TOP_WALLETS_PER_SIDE]


def _side_votes(top: list[WalletPosition], lookup: Mapping[str, WalletMetric]) -> tuple[Vote, ...]:
    votes: list[Vote] = []
    for p in top:
        m = lookup.get(p.wallet_address.lower())
        if m is None or m.metric_22_resolved_bets is None or m.metric_22_resolved_bets < MIN_RESOLVED_BETS:
            continue  # not qualified: vote 0
        omega = clamp_omega(m.metric_2_omega_net)
        risk = open_risk(p.side, p.total_shares, p.weighted_avg_entry_price)
        if math.isnan(risk) or risk <= 0:
            continue  # JS: sqrt(<0) is NaN, sqrt(0) is 0 — both dropped
        vote = omega * math.sqrt(risk)
        if not math.isfinite(vote) or vote <= 0:
            continue
        votes.append(Vote(p.wallet_address, omega, risk, vote, m.metric_22_resolved_bets))
    return tuple(votes)


def _votes_from(breakdown: Mapping[str, Any], key: str) -> tuple[Vote, ...]:
    raw = breakdown.get(key, [])
    if not isinstance(raw, list):
        raise ValueError(f"OWRR breakdown field {key!r} must be a list")
    out: list[Vote] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise ValueError(f"OWRR breakdown {key!r} items must be objects")
        out.append(Vote.from_dict(item))
    return tuple(out)


def _as_float(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"OWRR field {key!r} must be a number, got {value!r}")
    return float(value)


def _as_int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"OWRR field {key!r} must be an integer, got {value!r}")
    return value


def _as_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"OWRR field {key!r} must be a string, got {value!r}")
    return value
