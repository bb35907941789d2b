"""One self-contained HTML file from a `ReportModel`: inline CSS and SVG, no script, no network.

Charts (ids are stable, tests and links rely on them):
- `chart-decisions`: COPY vs SKIP by reason over time (stacked columns per time bucket);
- `chart-owrr`: OWRR slider distribution of copied vs skipped signals;
- `chart-pnl`: P&L per strategy (solid) vs its leaders (dashed);
- `chart-leaders`: beside it, each leader's realized P&L (when the model has it);
- `chart-latency`: leader trade → order latency histogram;
- `chart-rejections`: rejection reasons.
Every string from the data is HTML-escaped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape

from omegacopy.reporting.live_numbers import percentile
from omegacopy.reporting.report_model import Card, DecisionPoint, ReportModel, Series, Table
from omegacopy.reporting.svg_charts import (
    DEFAULT_FRAME,
    Chart,
    Frame,
    grouped_bars,
    horizontal_bars,
    nice_step,
    signed_bars,
    stacked_bars,
    step_lines,
)

COPY_COLOR = "#16a34a"
SKIP_COLOR = "#f59e0b"
SKIP_PALETTE = ("#f59e0b", "#ef4444", "#8b5cf6", "#0ea5e9", "#64748b", "#ec4899", "#a16207", "#14b8a6")
OTHER_COLOR = "#cbd5e1"
STRATEGY_PALETTE = ("#2563eb", "#db2777", "#059669", "#9333ea", "#ea580c", "#0891b2", "#65a30d", "#b91c1c")
REJECT_COLOR = "#ef4444"
LATENCY_COLOR = "#6366f1"

WIDE = Frame(width=1160, height=340)
# A run of a minute gets seconds-wide buckets, a month day-wide ones: never a single bar.
_BUCKETS_S = (1, 2, 5, 10, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800)
_MAX_BUCKETS = 36
_MAX_REASONS = 7

CSS = """
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f1f5f9; --card:#ffffff;
        --pos:#15803d; --neg:#b91c1c; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 28px 48px; }
header { display:flex; align-items:flex-end; justify-content:space-between; gap:16px; margin-bottom:18px; }
h1 { font-size: 24px; margin: 0 0 4px; letter-spacing: -0.01em; }
.sub { color: var(--muted); }
.badge { display:inline-block; padding:2px 10px; border-radius:999px; font-size:12px; font-weight:600;
         background:#e0e7ff; color:#3730a3; text-transform:uppercase; letter-spacing:.04em; margin-left:8px;
         vertical-align: middle; }
.badge.paper { background:#fef3c7; color:#92400e; }
.badge.live { background:#fee2e2; color:#991b1b; }
.meta { text-align:right; color:var(--muted); font-size:12px; white-space:nowrap; }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap:12px; margin-bottom:18px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:12px 14px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:22px; font-weight:650; margin-top:2px; font-variant-numeric: tabular-nums; }
.card .detail { color:var(--muted); font-size:12px; }
.pos { color: var(--pos); } .neg { color: var(--neg); } .muted { color: var(--muted); }
.grid { display:grid; grid-template-columns: 1fr 1fr; gap:16px; }
.panel { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:14px 16px 10px;
         min-width:0; }
.panel.wide { grid-column: 1 / -1; }
.panel h2 { font-size:15px; margin:0; }
.panel .hint { color:var(--muted); font-size:12px; margin:2px 0 6px; }
.panel svg { width:100%; height:auto; display:block; }
.legend { display:flex; flex-wrap:wrap; gap:6px 14px; font-size:12px; color:#334155; margin:4px 0 4px; }
.legend span { display:inline-flex; align-items:center; gap:6px; }
.legend i { width:12px; height:12px; border-radius:3px; display:inline-block; }
.legend i.line { height:3px; border-radius:2px; }
.legend i.dashed { background: repeating-linear-gradient(90deg, currentColor 0 5px, transparent 5px 8px) !important; }
section.tables { margin-top:18px; display:grid; gap:16px; }
table { width:100%; border-collapse:collapse; font-size:13px; font-variant-numeric: tabular-nums; }
th, td { padding:7px 6px; border-bottom:1px solid var(--line); text-align:left; white-space:nowrap; }
th { color:var(--muted); font-weight:600; font-size:11px; text-transform:uppercase; letter-spacing:.03em;
     white-space:normal; vertical-align:bottom; }
td.num, th.num { text-align:right; }
tbody tr:hover { background:#f8fafc; }
.scroll { overflow-x:auto; }
.note { color:var(--muted); font-size:12px; margin:8px 2px 0; }
ul.notes { color:var(--muted); font-size:12px; margin:18px 4px 0; padding-left:18px; }
@media (max-width: 900px) {
  main { padding: 16px 12px 32px; }
  .grid { grid-template-columns: 1fr; }
  header { flex-direction: column; align-items: flex-start; }
  .meta { text-align: left; }
  th, td { padding: 6px 5px; }
  .narrow-hidden { display: none; }
}
"""


def render_report(model: ReportModel) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(model.title)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        _header(model),
        _cards(model.cards),
        '<div class="grid">',
        _panel(
            "COPY vs SKIP by reason over time",
            "Signals per time bucket: copied (green) and skipped, by skip reason.",
            _decisions_chart(model),
        ),
        _panel(
            "OWRR slider: copied vs skipped",
            "Distribution of the market's OWRR slider (0 = NO consensus, 100 = YES) at decision time.",
            _owrr_chart(model.decisions),
        ),
        _panel(
            "P&L per strategy vs leaders",
            model.pnl_note or "Cumulative P&L in USD.",
            _pnl_chart(model),
            wide=not model.leader_pnl,
        ),
        _leader_panel(model),
        _panel("Trade → order latency", _latency_hint(model), _latency_chart(model.latencies_s)),
        _panel(
            "Rejection reasons",
            model.rejection_note or "Orders that did not fill, by reason.",
            horizontal_bars(
                "chart-rejections",
                "Rejection reasons",
                list(model.rejections),
                REJECT_COLOR,
                empty_message="No rejections in this period",
            ),
        ),
        "</div>",
        _tables(model.tables),
        _notes(model.notes),
        "</main></body></html>",
    ]
    return "\n".join(p for p in parts if p)


# --- layout ---------------------------------------------------------------------------------------


def _header(model: ReportModel) -> str:
    badge = model.badge or model.kind
    tone = "live" if badge == "live" else "paper" if "paper" in badge else ""
    period = ""
    if model.period_start or model.period_end:
        period = f"{_when(model.period_start) or '…'} → {_when(model.period_end) or '…'}"
    generated = f"generated {_when(model.generated_at)}" if model.generated_at else ""
    return (
        "<header><div>"
        f'<h1>{escape(model.title)}<span class="badge {tone}">{escape(badge)}</span></h1>'
        f'<div class="sub">{escape(model.subtitle)}</div></div>'
        f'<div class="meta">{escape(period)}<br>{escape(generated)}</div></header>'
    )


def _cards(cards: Sequence[Card]) -> str:
    if not cards:
        return ""
    items = []
    for c in cards:
        tone = f" {escape(c.tone)}" if c.tone else ""
        detail = f'<div class="detail">{escape(c.detail)}</div>' if c.detail else ""
        items.append(
            f'<div class="card"><div class="label">{escape(c.label)}</div>'
            f'<div class="value{tone}">{escape(c.value)}</div>{detail}</div>'
        )
    return f'<div class="cards">{"".join(items)}</div>'


def _panel(title: str, hint: str, chart: Chart, *, wide: bool = False) -> str:
    legend = ""
    if chart.legend:
        items = []
        for item in chart.legend:
            cls = "line dashed" if item.dashed else "line" if wide else ""
            style = f"background:{item.color};color:{item.color}"
            items.append(f'<span><i class="{cls}" style="{style}"></i>{escape(item.label)}</span>')
        legend = f'<div class="legend">{"".join(items)}</div>'
    return (
        f'<div class="panel{" wide" if wide else ""}"><h2>{escape(title)}</h2>'
        f'<div class="hint">{escape(hint)}</div>{legend}{chart.svg}</div>'
    )


def _leader_panel(model: ReportModel) -> str:
    if not model.leader_pnl:
        return ""
    chart = signed_bars(
        "chart-leaders",
        "Realized P&L by leader",
        list(model.leader_pnl),
        (COPY_COLOR, REJECT_COLOR),
        value_label=_money_short,
        empty_message="No copies in this period",
    )
    return _panel("P&L by leader", model.leader_note or "Realized P&L of our copies of each leader.", chart)


def _tables(tables: Sequence[Table]) -> str:
    if not tables:
        return ""
    out = ['<section class="tables">']
    for t in tables:
        numeric = [any(r[i].numeric for r in t.rows if i < len(r)) for i in range(len(t.columns))]
        hidden = set(t.narrow_hidden)
        head = "".join(
            f"<th{_class(('num' if numeric[i] else '', 'narrow-hidden' if i in hidden else ''))}>{escape(c)}</th>"
            for i, c in enumerate(t.columns)
        )
        rows = []
        for r in t.rows:
            cells = []
            for i, cell in enumerate(r):
                cls = " ".join(
                    x for x in ("num" if cell.numeric else "", cell.tone, "narrow-hidden" if i in hidden else "") if x
                )
                attr = f' class="{escape(cls)}"' if cls else ""
                cells.append(f"<td{attr}>{escape(cell.text)}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        if not rows:
            rows.append(f'<tr><td class="muted" colspan="{len(t.columns)}">No rows in this period</td></tr>')
        note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
        out.append(
            f'<div class="panel"><h2>{escape(t.title)}</h2><div class="scroll"><table>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{note}</div>"
        )
    out.append("</section>")
    return "".join(out)


def _class(names: Sequence[str]) -> str:
    joined = " ".join(n for n in names if n)
    return f' class="{joined}"' if joined else ""


def _notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return '<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"


# --- charts ---------------------------------------------------------------------------------------


def _decisions_chart(model: ReportModel) -> Chart:
    points = model.decisions
    if not points:
        return stacked_bars("chart-decisions", "COPY vs SKIP by reason over time", [], [])
    t0 = model.period_start or min(p.at for p in points)
    t1 = model.period_end or max(p.at for p in points)
    span = max((t1 - t0).total_seconds(), 1.0)
    bucket = next((b for b in _BUCKETS_S if span / b <= _MAX_BUCKETS), _BUCKETS_S[-1])
    origin = _floor(t0, bucket)
    n = max(1, math.ceil((t1 - origin).total_seconds() / bucket))
    totals = Counter(p.reason_code for p in points if p.decision != "COPY")
    top = [r for r, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_REASONS]]
    names = ["COPY", *top] + (["other skips"] if len(totals) > len(top) else [])
    counts = {name: [0] * n for name in names}
    for p in points:
        i = min(max(int((p.at - origin).total_seconds() // bucket), 0), n - 1)
        name = "COPY" if p.decision == "COPY" else p.reason_code if p.reason_code in top else "other skips"
        counts[name][i] += 1
    colors = {"COPY": COPY_COLOR, "other skips": OTHER_COLOR}
    colors.update({r: SKIP_PALETTE[i % len(SKIP_PALETTE)] for i, r in enumerate(top)})
    fmt = _time_format(t1 - t0, bucket)
    cats = [(origin + timedelta(seconds=bucket * i)).strftime(fmt) for i in range(n)]
    series = [(("COPY" if name == "COPY" else f"SKIP {name}"), colors[name], counts[name]) for name in names]
    return stacked_bars(
        "chart-decisions",
        "COPY vs SKIP by reason over time",
        cats,
        series,
        y_title="signals",
        x_title=f"time (UTC), {_duration(bucket)} buckets",
        label_every=max(1, math.ceil(n / 6)),
    )


def _owrr_chart(points: Sequence[DecisionPoint]) -> Chart:
    bins = 20
    cats = [f"{i * 5}–{i * 5 + 4}" if i < bins - 1 else "95–100" for i in range(bins)]
    copied, skipped = [0] * bins, [0] * bins
    for p in points:
        if p.slider is None:
            continue
        i = min(max(p.slider, 0) // 5, bins - 1)
        (copied if p.decision == "COPY" else skipped)[i] += 1
    return grouped_bars(
        "chart-owrr",
        "OWRR slider: copied vs skipped",
        cats,
        [("copied", COPY_COLOR, copied), ("skipped", SKIP_COLOR, skipped)],
        x_title="OWRR slider",
        y_title="signals",
        label_every=2,
    )


def _pnl_chart(model: ReportModel) -> Chart:
    groups = sorted({s.group for s in model.pnl})
    color = {g: STRATEGY_PALETTE[i % len(STRATEGY_PALETTE)] for i, g in enumerate(groups)}
    series = [(s.label, color[s.group], s.dashed, s.points) for s in _ordered(model.pnl)]
    times = [t for s in model.pnl for t, _ in s.points]
    t0 = model.period_start or min(times, default=None)
    t1 = model.period_end or max(times, default=None)
    span = (t1 - t0) if t0 is not None and t1 is not None else timedelta(days=2)
    # five to seven labels over the span: each must differ from the next
    fmt = _time_format(span, max(1, int(span.total_seconds() // 6)))
    return step_lines(
        "chart-pnl",
        "P&L per strategy vs leaders",
        series,
        start=model.period_start,
        end=model.period_end,
        y_label=_money_short,
        x_label=lambda t: t.strftime(fmt),
        y_title="P&L (USD)",
        frame=DEFAULT_FRAME if model.leader_pnl else WIDE,  # half a row beside the leaders' panel
    )


def _ordered(series: Sequence[Series]) -> list[Series]:
    return sorted(series, key=lambda s: (s.group, s.dashed, s.label))


def _latency_chart(latencies: Sequence[float]) -> Chart:
    values = sorted(v for v in latencies if v >= 0 and math.isfinite(v))
    if not values:
        return grouped_bars("chart-latency", "Trade → order latency", [], [])
    hi = values[-1]
    width = max(1.0, nice_step(hi if hi > 0 else 1.0, 12))
    n = max(1, min(40, math.floor(hi / width) + 1))
    counts = [0] * n
    for v in values:
        counts[min(int(v // width), n - 1)] += 1
    cats = [f"{_fmt_s(i * width)}–{_fmt_s((i + 1) * width)}" for i in range(n)]
    return grouped_bars(
        "chart-latency",
        "Trade → order latency",
        cats,
        [("orders", LATENCY_COLOR, counts)],
        x_title="seconds from the leader's trade to our order",
        y_title="orders",
        label_every=max(1, math.ceil(n / 6)),
    )


def _latency_hint(model: ReportModel) -> str:
    values = sorted(v for v in model.latencies_s if v >= 0 and math.isfinite(v))
    base = model.latency_note or "Seconds from the leader's trade to our order."
    median, p95 = percentile(values, 0.5), percentile(values, 0.95)
    if median is None or p95 is None:
        return base
    return f"{base} p50 {_fmt_s(median)} s, p95 {_fmt_s(p95)} s, n = {len(values)}."


# --- formatting -----------------------------------------------------------------------------------


def _time_format(span: timedelta, step_s: int) -> str:
    """A strftime format that tells apart instants `step_s` apart over `span`."""
    if step_s < 60:
        return "%H:%M:%S"
    if span <= timedelta(days=1):
        return "%H:%M"
    return "%b %d %H:%M" if step_s < 86400 else "%b %d"


def _floor(t: datetime, bucket_s: int) -> datetime:
    aware = t if t.tzinfo else t.replace(tzinfo=UTC)
    epoch = int(aware.timestamp())
    return datetime.fromtimestamp(epoch - epoch % bucket_s, tz=UTC)


def _when(t: datetime | None) -> str:
    if t is None:
        return ""
    aware = t if t.tzinfo else t.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}-second"
    if seconds % 86400 == 0:
        return f"{seconds // 86400}-day" if seconds > 86400 else "1-day"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}-hour"
    return f"{seconds // 60}-minute"


def _fmt_s(x: float) -> str:
    return f"{x:.0f}" if x == int(x) else f"{x:.1f}"


def _money_short(v: float) -> str:
    sign = "−" if v < 0 else ""
    a = abs(v)
    if a >= 1_000_000:
        return f"{sign}${a / 1_000_000:.1f}M"
    if a >= 10_000:
        return f"{sign}${a / 1000:.0f}k"
    if a >= 1000:
        return f"{sign}${a / 1000:.1f}k"
    if a == int(a) and (a >= 10 or a == 0):  # $10.50 stays $10.50: two axis ticks never read the same
        return f"{sign}${a:.0f}"
    return f"{sign}${a:.2f}"
