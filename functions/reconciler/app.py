"""Reconciler Lambda, each tick, off the monitor's path: settles unknown, resting and lost orders,
books fees from the exchange's trade records, checks each wallet's balances against the books,
and marks positions to market."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.app.balance_check import check_balances
from omegacopy.app.fees import book_fees
from omegacopy.app.mark_to_market import mark_to_market
from omegacopy.app.reconcile import reconcile
from omegacopy.observability import capture_lambda_handler, logger, metrics
from omegacopy.redaction import redacted_errors
from omegacopy.wiring.executor import executor_deps
from omegacopy.wiring.reconciler import balance_store, market_resolutions, portfolio_store


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with redacted_errors():  # an error leaving the function never carries a secret
        deps = executor_deps()
        summary = reconcile(deps)
        # fills first, then their fees: the balances are checked against complete books
        fees = book_fees(balance_store(), deps.exchanges, deps.clock, deps.telemetry)
        balances = check_balances(balance_store(), deps.exchanges, deps.tunables, deps.telemetry)
        marks = mark_to_market(
            portfolio_store(),
            deps.exchanges,
            deps.tunables,
            deps.telemetry,
            clock=deps.clock,
            resolutions=market_resolutions(),
        )
    return {
        "examined": summary.examined,
        "outcomes": dict(summary.outcomes),
        "fees_booked": fees.fees_booked,
        "balance_drift_usd": str(balances.max_drift_usd),
        "paused": sorted({*marks.paused, *balances.paused}),
        "unpriced": marks.unpriced,
    }
