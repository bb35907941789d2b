"""Settlement Lambda (scheduled): resolved markets settled in the books, then redeemed on chain.

The only function besides the executor that unwraps wallet keys (to sign redemptions); the
reconciler stays keyless. Settlement never waits for the chain: a node that fails leaves the
redemptions where they are, counted in RedemptionErrors, for the next run.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.app.redeem import redeem
from omegacopy.app.settle_resolved import settle_resolved
from omegacopy.observability import capture_lambda_handler, logger, metrics
from omegacopy.ports import ChainError
from omegacopy.redaction import redacted_errors
from omegacopy.wiring.settlement import settlement_deps


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with redacted_errors():  # an error leaving the function never carries a secret
        settlement, redemption = settlement_deps()
        settled = settle_resolved(settlement)
        try:
            redeemed = redeem(redemption)
        except ChainError as exc:
            redemption.telemetry.count("RedemptionErrors")
            logger.warning("redemptions skipped: the chain is unavailable", extra={"error": str(exc)})
            outcomes: dict[str, int] = {"chain_unavailable": 1}
        else:
            outcomes = dict(redeemed.outcomes)
    return {
        "settled_positions": settled.settled_positions,
        "proceeds_usd": str(settled.proceeds_usd),
        "deferred_positions": settled.deferred_positions,
        "redemptions": outcomes,
    }
