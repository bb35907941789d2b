"""The daily summary: the last 24 hours of P&L, copies and skips by reason, and the top leaders,
sent to every channel once a day (its schedule: `DailySummaryScheduleExpression` in the template).

The window ends at the scheduled time (to the minute), so a retried invocation reports the same
window; unrealized P&L is the open positions at their last marks when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from omegacopy.app.notify import DeliveryReport, deliver
from omegacopy.domain.notifications import DailySummary, summary_notice
from omegacopy.ports import NoticeChannel, SummarySource, Telemetry

WINDOW = timedelta(hours=24)


def summary_window(end: datetime) -> tuple[datetime, datetime]:
    end = end.replace(second=0, microsecond=0)
    return end - WINDOW, end


def send_daily_summary(
    source: SummarySource,
    channels: Sequence[NoticeChannel],
    telemetry: Telemetry,
    *,
    end: datetime,
    stage: str = "",
) -> tuple[DailySummary, DeliveryReport]:
    start, end = summary_window(end)
    summary = source.daily_summary(start, end)
    if stage and not summary.stage:
        summary = DailySummary(summary.start, summary.end, summary.strategies, summary.skip_reasons,
                               summary.leaders, stage)  # fmt: skip
    report = deliver(summary_notice(summary), channels, telemetry)
    telemetry.count("DailySummarySent" if not report.failed else "DailySummaryFailed")
    return summary, report
