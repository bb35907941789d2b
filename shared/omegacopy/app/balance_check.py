"""Balances that match reality: each wallet's pUSD and shares at the exchange (`/balance-allowance`)
against what its strategies booked, every reconciler run.

Every check is recorded (`wallet_balance_checks`). A drift beyond `balance_drift_tolerance_usd`
counts in `BalanceDrifting` (its alarm) at once; when it is still there at the next check (a fill
that landed between the reconcile and the check is booked by then) every strategy of the wallet is
paused, so it copies no new entries until an operator looks. A wallet with an order whose fate is
not known yet (SUBMITTING, UNKNOWN) is not checked that run: its books may lag by that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from omegacopy.domain.balances import COLLATERAL, BalanceCheck, baseline_for
from omegacopy.domain.money import ZERO
from omegacopy.ports import BalanceStore, Exchange, Exchanges, Telemetry, TunablesSource, WalletBooks

_UNITS = Decimal(1_000_000)  # /balance-allowance speaks in 6-decimal base units


@dataclass
class BalanceSummary:
    wallets_checked: int = 0
    wallets_in_flight: int = 0
    max_drift_usd: Decimal = ZERO
    drifting: dict[str, list[str]] = field(default_factory=dict)  # wallet -> assets beyond tolerance
    paused: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def check_balances(
    store: BalanceStore, exchanges: Exchanges, tunables: TunablesSource, telemetry: Telemetry
) -> BalanceSummary:
    tolerance = tunables.get().balance_drift_tolerance_usd
    summary = BalanceSummary()
    for books in store.wallet_books():
        if books.in_flight:
            summary.wallets_in_flight += 1
            continue
        try:
            checks = _check(store, exchanges.for_wallet(books.wallet_id), books, tolerance)
        except Exception as exc:  # one wallet's failure never stops the others
            summary.errors[books.wallet_id] = type(exc).__name__
            telemetry.count("BalanceCheckErrors")
            telemetry.warning("balance check failed", wallet_id=books.wallet_id, error=type(exc).__name__)
            continue
        summary.wallets_checked += 1
        already = store.last_breached(books.wallet_id)
        store.record_checks(checks)
        summary.max_drift_usd = max([summary.max_drift_usd, *(abs(c.drift) for c in checks)])
        drifting = [c for c in checks if c.breached]
        if not drifting:
            continue
        summary.drifting[books.wallet_id] = [c.asset for c in drifting]
        telemetry.error(
            "balance drift",
            wallet_id=books.wallet_id,
            drift={c.asset: str(c.drift) for c in drifting},
            tolerance=str(tolerance),
        )
        persistent = [c for c in drifting if c.asset in already]
        if persistent:
            worst = max(persistent, key=lambda c: abs(c.drift))
            reason = f"balance drift {worst.drift} on {worst.asset} beyond the {tolerance} tolerance"
            paused = store.pause_wallet_strategies(books.wallet_id, reason)
            summary.paused.extend(paused)
            telemetry.count("BalanceDriftBreaches")
    # published every run, zeros included: an alarm never reads a quiet metric as "fine"
    telemetry.count("BalanceDriftUsd", float(summary.max_drift_usd))
    telemetry.count("BalanceDrifting", len(summary.drifting))
    return summary


def _check(store: BalanceStore, exchange: Exchange, books: WalletBooks, tolerance: Decimal) -> list[BalanceCheck]:
    amounts = {COLLATERAL: (exchange.balance_allowance("COLLATERAL").balance / _UNITS, books.cash_usd)}
    for token, shares in books.shares.items():
        amounts[token] = (exchange.balance_allowance("CONDITIONAL", token).balance / _UNITS, shares)
    baselines = store.baselines(books.wallet_id)
    checks: list[BalanceCheck] = []
    for asset, (at_exchange, booked) in amounts.items():
        baseline = baselines.get(asset)
        if baseline is None:  # first check: what the wallet holds beyond the books is its own
            baseline = baseline_for(at_exchange, booked)
            store.set_baseline(books.wallet_id, asset, baseline)
        checks.append(BalanceCheck(books.wallet_id, asset, at_exchange, booked, baseline, tolerance))
    return checks
