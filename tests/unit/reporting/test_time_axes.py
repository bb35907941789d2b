"""The report's time axes follow the run's span: a one-minute local run is not one bar, and no two
P&L axis labels are the same."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from omegacopy.reporting.html_report import render_report
from omegacopy.reporting.report_model import DecisionPoint, ReportModel, Series

T0 = datetime(2026, 12, 3, 9, 30, 5, tzinfo=UTC)


def _model(span: timedelta, *, bounded: bool) -> ReportModel:
    steps = 40
    decisions = tuple(
        DecisionPoint(T0 + span * (i / steps), "s1", "COPY" if i % 3 else "SKIP", "copy" if i % 3 else "stale", "BUY")
        for i in range(steps + 1)
    )
    pnl = (Series("s1", "s1", tuple((T0 + span * (i / steps), float(i % 7) - 3) for i in range(steps + 1))),)
    return ReportModel(
        title="t",
        subtitle="s",
        kind="live",
        period_start=T0 if bounded else None,
        period_end=T0 + span if bounded else None,
        decisions=decisions,
        pnl=pnl,
    )


def _svg(html: str, chart_id: str) -> str:
    start = html.index(f'<svg id="{chart_id}"')
    return html[start : html.index("</svg>", start)]


@pytest.mark.parametrize("span_s", [40, 90, 600, 3 * 3600, 2 * 86400, 30 * 86400])
@pytest.mark.parametrize("bounded", [True, False])
def test_buckets_and_labels_follow_the_span(span_s: int, bounded: bool) -> None:
    html = render_report(_model(timedelta(seconds=span_s), bounded=bounded))

    decisions = _svg(html, "chart-decisions")
    bars = int(re.search(r'data-points="(\d+)"', decisions).group(1))  # type: ignore[union-attr]
    columns = len(set(re.findall(r'<rect class="series" x="([0-9.]+)"', decisions)))
    assert columns >= 6, f"{span_s} s drawn as {columns} column(s) ({bars} points)"

    pnl = _svg(html, "chart-pnl")
    labels = re.findall(r'<text x="[0-9.]+" y="[0-9.]+" text-anchor="(?:start|middle|end)"[^>]*>([^<]+)</text>', pnl)
    x_labels = [t for t in labels if not t.startswith(("$", "−$", "P&amp;L"))]
    assert len(x_labels) >= 5 and len(set(x_labels)) == len(x_labels), x_labels
