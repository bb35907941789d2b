"""Indexer Lambda: one pass of Polymarket public data into ClickHouse (the scheduler calls it)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from omegacopy.adapters.clock import SystemClock
from omegacopy.app.index_run import run_index
from omegacopy.app.tick_event import TickEvent
from omegacopy.observability import capture_lambda_handler, logger, metrics
from omegacopy.wiring.indexer import indexer_deps


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run_id = "index-" + TickEvent.parse(event).tick_id(SystemClock().now())
    logger.append_keys(run_id=run_id)
    summary = run_index(indexer_deps(context.get_remaining_time_in_millis), run_id)
    return {"run_id": run_id, "status": summary.status, "rows_written": summary.trades_written}
