"""A strategy's portfolio as one tick works on it: the COPYs decided so far applied in place.

Reads and updates are O(1) (a token index and running totals), so deciding n trades for one
strategy costs O(n), however many positions the tick opens. `PortfolioState` stays the immutable
snapshot the store loads and the tests build; `snapshot()` turns a book back into one.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import PortfolioState, PositionHolding, TradeAction, is_open
from omegacopy.domain.money import CENT, SHARE_STEP, ZERO, quantize


class PortfolioBook:
    __slots__ = ("_exposure", "_holdings", "_open", "balance_usd", "reserved_usd")

    def __init__(self, state: PortfolioState) -> None:
        self.balance_usd = state.balance_usd
        self.reserved_usd = state.reserved_usd
        self._holdings: dict[str, PositionHolding] = {}
        for h in state.holdings:
            self._holdings.setdefault(h.token_id, h)
        self._open = sum(1 for h in self._holdings.values() if is_open(h))
        self._exposure = sum((h.cost_usd for h in self._holdings.values() if is_open(h)), ZERO)

    @property
    def available_usd(self) -> Decimal:
        return self.balance_usd - self.reserved_usd

    @property
    def open_positions(self) -> int:
        return self._open

    @property
    def total_exposure_usd(self) -> Decimal:
        return self._exposure

    def holding(self, token_id: str) -> PositionHolding | None:
        return self._holdings.get(token_id)

    def snapshot(self) -> PortfolioState:
        return PortfolioState(self.balance_usd, self.reserved_usd, tuple(self._holdings.values()))

    def apply(self, intent: IntentDraft) -> bool:
        """Apply a COPY's intent as later trades of the tick must see it; False when it changed nothing.

        A COPY entry reserves its dollars and adds them to the token's cost basis (so position
        limits and the position count see it), but no shares: only filled shares can be sold, so an
        exit never mirrors a leader's sale against shares we do not hold yet. A COPY exit removes
        the sold shares and their share of the cost basis; sale proceeds are not counted until
        filled.
        """
        token = intent.token_id
        held = self._holdings.get(token)
        if intent.action is TradeAction.BUY:
            amount = intent.usd_amount or ZERO
            if held is None:
                self._put(token, PositionHolding(token, intent.condition_id, ZERO, amount))
            else:
                self._put(token, PositionHolding(held.token_id, held.condition_id, held.shares, held.cost_usd + amount))
            self.reserved_usd += amount
            return True
        if held is None or held.shares <= 0:
            return False
        remaining = held.shares - (intent.shares or ZERO)
        if remaining < SHARE_STEP:  # sold out (dust below one share-cent cannot be sold anyway)
            self._put(token, None)
        else:
            cost = quantize(held.cost_usd * remaining / held.shares, CENT, ROUND_CEILING)
            self._put(token, PositionHolding(held.token_id, held.condition_id, remaining, cost))
        return True

    def _put(self, token: str, new: PositionHolding | None) -> None:
        """Replace (or drop, when `new` is None) the holding of `token`, keeping the totals and the order."""
        old = self._holdings.get(token)
        if old is not None and is_open(old):
            self._open -= 1
            self._exposure -= old.cost_usd
        if new is None:
            self._holdings.pop(token, None)
            return
        self._holdings[token] = new
        if is_open(new):
            self._open += 1
            self._exposure += new.cost_usd
