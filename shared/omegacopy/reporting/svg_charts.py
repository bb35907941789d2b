"""Small inline-SVG charts, drawn here (no library, no script): stacked bars, grouped bars,
horizontal bars and step lines. Every text from the data is escaped. Each chart's <svg> carries its
id, `data-points` (how many data values it plots) and `data-series` (how many series), and every
plotted mark the class `series` and a <title> tooltip.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

LEFT, RIGHT, TOP, BOTTOM = 64, 16, 14, 46

AXIS = "#94a3b8"
GRID = "#e2e8f0"
TEXT = "#475569"


@dataclass(frozen=True, slots=True)
class LegendItem:
    label: str
    color: str
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Chart:
    svg: str
    legend: tuple[LegendItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Frame:
    """The SVG's size; the plot is what is inside the margins."""

    width: int = 560
    height: int = 300

    @property
    def plot_w(self) -> float:
        return float(self.width - LEFT - RIGHT)

    @property
    def plot_h(self) -> float:
        return float(self.height - TOP - BOTTOM)

    @property
    def right(self) -> float:
        return LEFT + self.plot_w

    @property
    def bottom(self) -> float:
        return TOP + self.plot_h


DEFAULT_FRAME = Frame()


def fmt_number(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:.1f}".rstrip("0").rstrip(".")


def nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)


def nice_ticks(lo: float, hi: float, target: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values covering [lo, hi] (at least two); whole numbers only for counts."""
    if hi <= lo:
        hi = lo + 1
    step = nice_step(hi - lo, target)
    if integer:
        step = float(max(1, math.ceil(step)))
    v = math.floor(lo / step) * step
    ticks: list[float] = []
    while len(ticks) < 50:
        ticks.append(round(v, 10))
        if v >= hi - step * 1e-9:
            break
        v += step
    if len(ticks) == 1:
        ticks.append(round(ticks[0] + step, 10))
    return ticks


def _open(chart_id: str, title: str, points: int, series: int, frame: Frame) -> list[str]:
    return [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {frame.width} {frame.height}" role="img"'
        f' aria-label="{escape(title)}" data-points="{points}" data-series="{series}"'
        ' xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
    ]


def empty_chart(
    chart_id: str, title: str, message: str = "No data in this period", frame: Frame = DEFAULT_FRAME
) -> Chart:
    parts = _open(chart_id, title, 0, 0, frame)
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{frame.plot_w}" height="{frame.plot_h}" fill="#f8fafc"'
        f' stroke="{GRID}" rx="6"/>'
    )
    parts.append(
        f'<text class="empty" x="{LEFT + frame.plot_w / 2}" y="{TOP + frame.plot_h / 2}" text-anchor="middle"'
        f' fill="{AXIS}" font-size="14">{escape(message)}</text></svg>'
    )
    return Chart("".join(parts))


def _y_axis(
    parts: list[str],
    frame: Frame,
    ticks: Sequence[float],
    y_of: Callable[[float], float],
    label: Callable[[float], str],
) -> None:
    for t in ticks:
        y = y_of(t)
        parts.append(f'<line x1="{LEFT}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{TEXT}">'
            f"{escape(label(t))}</text>"
        )


def _x_label(parts: list[str], frame: Frame, x: float, text: str, anchor: str = "middle") -> None:
    parts.append(
        f'<text x="{x:.1f}" y="{frame.bottom + 18}" text-anchor="{anchor}" font-size="11" fill="{TEXT}">'
        f"{escape(text)}</text>"
    )


def _baseline(parts: list[str], frame: Frame, y: float) -> None:
    parts.append(f'<line x1="{LEFT}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{AXIS}"/>')


def _axis_titles(parts: list[str], frame: Frame, x_title: str, y_title: str) -> None:
    if x_title:
        parts.append(
            f'<text x="{LEFT + frame.plot_w / 2}" y="{frame.height - 6}" text-anchor="middle" font-size="11"'
            f' fill="{AXIS}">{escape(x_title)}</text>'
        )
    if y_title:
        parts.append(
            f'<text transform="translate(13 {TOP + frame.plot_h / 2}) rotate(-90)" text-anchor="middle"'
            f' font-size="11" fill="{AXIS}">{escape(y_title)}</text>'
        )


def stacked_bars(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    x_title: str = "",
    y_title: str = "",
    label_every: int = 1,
    frame: Frame = DEFAULT_FRAME,
) -> Chart:
    """Columns per category, each stacked from the series' counts (label, colour, counts)."""
    n = len(categories)
    totals = [sum(s[2][i] for s in series) for i in range(n)]
    values = sum(1 for s in series for v in s[2] if v)
    if not n or not values:
        return empty_chart(chart_id, title, frame=frame)
    ticks = nice_ticks(0, max(totals), integer=True)
    top = ticks[-1]

    def y_of(v: float) -> float:
        return frame.bottom - v / top * frame.plot_h

    parts = _open(chart_id, title, values, len(series), frame)
    _y_axis(parts, frame, ticks, y_of, fmt_number)
    slot = frame.plot_w / n
    bar = max(1.0, slot * 0.72)
    for i, cat in enumerate(categories):
        x = LEFT + i * slot + (slot - bar) / 2
        acc = 0.0
        for label, color, counts in series:
            v = counts[i]
            if not v:
                continue
            y0, y1 = y_of(acc), y_of(acc + v)
            parts.append(
                f'<rect class="series" x="{x:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{max(y0 - y1, 0.5):.1f}"'
                f' fill="{color}"><title>{escape(cat)} · {escape(label)}: {v}</title></rect>'
            )
            acc += v
        if i % label_every == 0:
            _x_label(parts, frame, LEFT + i * slot + slot / 2, cat)
    _baseline(parts, frame, y_of(0))
    _axis_titles(parts, frame, x_title, y_title)
    parts.append("</svg>")
    return Chart("".join(parts), tuple(LegendItem(label, color) for label, color, _ in series))


def grouped_bars(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    x_title: str = "",
    y_title: str = "",
    label_every: int = 1,
    frame: Frame = DEFAULT_FRAME,
) -> Chart:
    """Side-by-side columns per category, one per series (a histogram when there is one series)."""
    n = len(categories)
    values = sum(1 for s in series for v in s[2] if v)
    if not n or not values:
        return empty_chart(chart_id, title, frame=frame)
    ticks = nice_ticks(0, max(max(s[2]) for s in series), integer=True)
    top = ticks[-1]

    def y_of(v: float) -> float:
        return frame.bottom - v / top * frame.plot_h

    parts = _open(chart_id, title, values, len(series), frame)
    _y_axis(parts, frame, ticks, y_of, fmt_number)
    slot = frame.plot_w / n
    group_w = slot * 0.8
    bar = group_w / len(series)
    for i, cat in enumerate(categories):
        for j, (label, color, counts) in enumerate(series):
            v = counts[i]
            if not v:
                continue
            x = LEFT + i * slot + (slot - group_w) / 2 + j * bar
            parts.append(
                f'<rect class="series" x="{x:.1f}" y="{y_of(v):.1f}" width="{max(bar - 1, 1):.1f}"'
                f' height="{y_of(0) - y_of(v):.1f}" fill="{color}" rx="1.5">'
                f"<title>{escape(label)} · {escape(cat)}: {v}</title></rect>"
            )
        if i % label_every == 0:
            _x_label(parts, frame, LEFT + i * slot + slot / 2, cat)
    _baseline(parts, frame, y_of(0))
    _axis_titles(parts, frame, x_title, y_title)
    parts.append("</svg>")
    return Chart("".join(parts), tuple(LegendItem(label, color) for label, color, _ in series))


def horizontal_bars(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, int]],
    color: str,
    *,
    empty_message: str = "Nothing in this period",
    frame: Frame = DEFAULT_FRAME,
) -> Chart:
    """One bar per (label, count), in the order given (at most 12); labels in the left margin."""
    shown_items = [i for i in items if i[1] > 0][:12]
    if not shown_items:
        return empty_chart(chart_id, title, empty_message, frame)
    label_w = 200
    parts = _open(chart_id, title, len(shown_items), 1, frame)
    top = nice_ticks(0, max(c for _, c in shown_items), integer=True)[-1]
    plot_w = frame.width - label_w - RIGHT - 36
    row = min(34.0, (frame.height - TOP - 24) / len(shown_items))
    for i, (label, count) in enumerate(shown_items):
        y = TOP + i * row
        w = max(count / top * plot_w, 2)
        shown = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" font-size="12" fill="{TEXT}">'
            f"{escape(shown)}</text>"
        )
        parts.append(
            f'<rect class="series" x="{label_w}" y="{y + row * 0.18:.1f}" width="{w:.1f}" height="{row * 0.64:.1f}"'
            f' fill="{color}" rx="3"><title>{escape(label)}: {count}</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}" font-size="12" fill="{TEXT}">{count}</text>'
        )
    parts.append("</svg>")
    return Chart("".join(parts))


def downsample(points: Sequence[tuple[float, float]], limit: int = 600) -> list[tuple[float, float]]:
    """At most ~`limit` points, keeping each slice's first, lowest, highest and last (drawdowns stay)."""
    if len(points) <= limit:
        return list(points)
    size = math.ceil(len(points) / (limit / 4))
    out: list[tuple[float, float]] = []
    for i in range(0, len(points), size):
        chunk = points[i : i + size]
        low = min(range(len(chunk)), key=lambda k: chunk[k][1])
        high = max(range(len(chunk)), key=lambda k: chunk[k][1])
        out.extend(chunk[k] for k in sorted({0, low, high, len(chunk) - 1}))
    return out


def step_lines(
    chart_id: str,
    title: str,
    series: Sequence[tuple[str, str, bool, Sequence[tuple[datetime, float]]]],
    *,
    start: datetime | None,
    end: datetime | None,
    y_label: Callable[[float], str],
    x_label: Callable[[datetime], str],
    y_title: str = "",
    frame: Frame = DEFAULT_FRAME,
) -> Chart:
    """Step lines over time (label, colour, dashed, points); a zero line when the range spans it."""
    drawn = [s for s in series if s[3]]
    if not drawn:
        return empty_chart(chart_id, title, frame=frame)
    values = sum(len(s[3]) for s in drawn)
    times = [p[0] for s in drawn for p in s[3]]
    t0 = start or min(times)
    t1 = max(end or times[0], *times)
    span = max((t1 - t0).total_seconds(), 1.0)
    ys = [p[1] for s in drawn for p in s[3]] + [0.0]
    ticks = nice_ticks(min(ys), max(ys))
    lo, hi = ticks[0], ticks[-1]

    def x_of(t: datetime) -> float:
        return LEFT + (t - t0).total_seconds() / span * frame.plot_w

    def y_of(v: float) -> float:
        return frame.bottom - (v - lo) / (hi - lo) * frame.plot_h

    parts = _open(chart_id, title, values, len(drawn), frame)
    _y_axis(parts, frame, ticks, y_of, y_label)
    if lo < 0 < hi:
        _baseline(parts, frame, y_of(0))
    labels = 7 if frame.width > 800 else 5
    for i in range(labels):
        t = t0 + (t1 - t0) * (i / (labels - 1))
        anchor = "start" if i == 0 else "end" if i == labels - 1 else "middle"
        _x_label(parts, frame, x_of(t), x_label(t), anchor)
    for label, color, dashed, pts in drawn:
        xy = downsample([(x_of(t), y_of(v)) for t, v in pts])
        xy.append((x_of(t1), xy[-1][1]))  # the last value holds to the end of the period
        d = [f"M{xy[0][0]:.1f},{xy[0][1]:.1f}"]
        for (_, y_prev), (x, y) in itertools.pairwise(xy):
            d.append(f"H{x:.1f}V{y:.1f}" if y != y_prev else f"H{x:.1f}")
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        width = "1.8" if dashed else "2.4"
        parts.append(
            f'<path class="series" d="{"".join(d)}" fill="none" stroke="{color}" stroke-width="{width}"{dash}'
            f' stroke-linejoin="round"><title>{escape(label)}: {escape(y_label(pts[-1][1]))} at the end</title></path>'
        )
    _axis_titles(parts, frame, "", y_title)
    parts.append("</svg>")
    return Chart("".join(parts), tuple(LegendItem(s[0], s[1], s[2]) for s in drawn))


def signed_bars(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float]],
    colors: tuple[str, str],
    *,
    value_label: Callable[[float], str],
    empty_message: str = "Nothing in this period",
    frame: Frame = DEFAULT_FRAME,
) -> Chart:
    """One bar per (label, value) from a zero line, gains right in `colors[0]`, losses left in
    `colors[1]`, in the order given (at most 12); labels in the left margin."""
    shown_items = list(items)[:12]
    if not shown_items:
        return empty_chart(chart_id, title, empty_message, frame)
    label_w = 190
    lo = min(0.0, *(v for _, v in shown_items))
    hi = max(0.0, *(v for _, v in shown_items))
    span = (hi - lo) or 1.0
    pad = 64 if lo < 0 else 8  # room for a loss's label left of its bar
    plot_w = frame.width - label_w - pad - RIGHT - 64
    zero = label_w + pad + (0 - lo) / span * plot_w
    row = min(34.0, (frame.height - TOP - 24) / len(shown_items))
    parts = _open(chart_id, title, len(shown_items), 1, frame)
    parts.append(
        f'<line x1="{zero:.1f}" y1="{TOP}" x2="{zero:.1f}" y2="{TOP + row * len(shown_items):.1f}" stroke="{AXIS}"/>'
    )
    for i, (label, value) in enumerate(shown_items):
        y = TOP + i * row
        w = max(abs(value) / span * plot_w, 2)
        x = zero if value >= 0 else zero - w
        shown = label if len(label) <= 30 else label[:29] + "…"
        text = value_label(value)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" font-size="12" fill="{TEXT}">'
            f"{escape(shown)}</text>"
        )
        parts.append(
            f'<rect class="series" x="{x:.1f}" y="{y + row * 0.18:.1f}" width="{w:.1f}" height="{row * 0.64:.1f}"'
            f' fill="{colors[0] if value >= 0 else colors[1]}" rx="3"><title>{escape(label)}: {escape(text)}</title>'
            "</rect>"
        )
        tx, anchor = (x + w + 6, "start") if value >= 0 else (x - 6, "end")
        parts.append(
            f'<text x="{tx:.1f}" y="{y + row / 2 + 4:.1f}" text-anchor="{anchor}" font-size="12" fill="{TEXT}">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return Chart("".join(parts))
