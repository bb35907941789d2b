"""The HTML report in a real browser: headless Chromium renders it, dumps its DOM and takes a screenshot.

Chromium is Debian's `chromium` package (CI: `apt-get install -y chromium`). Without it this test
fails and says how to install it: a report nobody opened in a browser is not tested.
"""

from __future__ import annotations

import random
import re
import shutil
import struct
import subprocess
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omegacopy.reporting.html_report import render_report
from omegacopy.reporting.report_model import Card, Cell, DecisionPoint, ReportModel, Series, Table

CHARTS = ("chart-decisions", "chart-owrr", "chart-pnl", "chart-latency", "chart-rejections")
START = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
END = START + timedelta(days=2)
EVIL = '<script>alert("x")</script> & Co'
CHROMIUM_TIMEOUT_S = 120


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if path:
            return path
    pytest.fail(
        "Chromium is not installed; the report render test needs it.\n"
        "Install Debian's package: apt-get update && apt-get install -y chromium",
        pytrace=False,
    )


def _model() -> ReportModel:
    """Two days of a realistic run, deterministic (seeded), with a hostile strategy name."""
    rng = random.Random(20250303)
    reasons = ["owrr_below_threshold", "low_confidence", "category_not_tracked", "stale_trade", "max_positions"]
    strategies = ["s-politics", "s-sports", EVIL]
    decisions = []
    for i in range(900):
        at = START + timedelta(seconds=rng.uniform(0, 2 * 86400))
        copy = rng.random() < 0.3
        slider = rng.choice([None, rng.randint(55, 100) if copy else rng.randint(0, 100)])
        decisions.append(
            DecisionPoint(
                at,
                strategies[i % 3],
                "COPY" if copy else "SKIP",
                "copy" if copy else rng.choices(reasons, weights=[6, 4, 3, 1, 1])[0],
                "BUY",
                slider,
            )
        )
    decisions.sort(key=lambda d: d.at)
    series = []
    for k, sid in enumerate(strategies):
        pnl, lead = 0.0, 0.0
        ours, theirs = [(START, 0.0)], [(START, 0.0)]
        for step in range(1, 120):
            at = START + timedelta(minutes=24 * step)
            pnl += rng.gauss(0.6 - k * 0.5, 6)
            lead += rng.gauss(0.2, 8)
            ours.append((at, round(pnl, 2)))
            theirs.append((at, round(lead, 2)))
        series.append(Series(sid, sid, tuple(ours)))
        series.append(Series(f"{sid} · leaders", sid, tuple(theirs), dashed=True))
    table = Table(
        "Strategies",
        ("Strategy", "Signals", "Total P&L"),
        tuple((Cell(sid), Cell(str(300), numeric=True), Cell("$12.50", "pos", numeric=True)) for sid in strategies),
        note=f"note {EVIL}",
    )
    return ReportModel(
        title="OmegaCopy backtest",
        subtitle=f"3 strategies · {EVIL}",
        kind="backtest",
        period_start=START,
        period_end=END,
        generated_at=END + timedelta(hours=1),
        cards=(
            Card("Strategy P&L", "$1,234.56", "4.2% of $ bought", "pos"),
            Card("Orders filled", "250 / 270", "fill rate 93%"),
            Card("Shadow P&L of skips", "−$310.20", EVIL, "neg"),
        ),
        decisions=tuple(decisions),
        pnl=tuple(series),
        latencies_s=tuple(round(30 + rng.uniform(0, 30) + rng.expovariate(0.2), 1) for _ in range(270)),
        rejections=(("crosses_worst_price", 12), ("below_min_size", 5), (EVIL, 3)),
        tables=(table,),
        notes=(f"a note with {EVIL}",),
    )


def _run_chromium(args: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S, check=False)
    assert result.returncode == 0, f"chromium failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return result


def _flags(profile: Path) -> list[str]:
    return [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]  # fmt: skip


# --- a minimal PNG reader (stdlib): enough to look at a few pixels -----------------------------------


def _png_rows(data: bytes, max_rows: int) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, the first `max_rows` unfiltered rows) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, bpp = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), f"unexpected PNG format: depth {depth}, colour type {color}"
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompressobj().decompress(idat, (width * bpp + 1) * max_rows)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for r in range(min(max_rows, height)):
        start = r * (stride + 1)
        row_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            if row_filter == 1:
                line[i] = (line[i] + left) & 0xFF
            elif row_filter == 2:
                line[i] = (line[i] + up) & 0xFF
            elif row_filter == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif row_filter == 4:
                ul = prev[i - bpp] if i >= bpp else 0
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else ul
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def test_the_report_renders_in_chromium_with_every_chart(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_report(_model()), encoding="utf-8")
    profile = tmp_path / "profile"

    dom = _run_chromium([*_flags(profile), "--dump-dom", report.as_uri()]).stdout
    shot = tmp_path / "report.png"
    _run_chromium([*_flags(profile), f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()])

    # every chart is in the DOM as an <svg> with its id and a non-empty series
    for chart in CHARTS:
        match = re.search(rf'<svg id="{chart}"[^>]*data-points="(\d+)"[^>]*data-series="(\d+)"', dom)
        assert match, f"{chart} missing from the rendered DOM"
        assert int(match.group(1)) > 0 and int(match.group(2)) > 0, f"{chart} has no data"
        body = dom[match.end() : dom.index("</svg>", match.end())]
        assert 'class="series"' in body, f"{chart} draws nothing"
    assert dom.count('class="series" d="M') == 6  # 3 strategies + 3 leader lines
    # data is text, never markup: the hostile name shows escaped and no script exists
    assert "<script" not in dom
    assert "&lt;script&gt;alert" in dom

    data = shot.read_bytes()
    assert len(data) > 50_000, f"screenshot suspiciously small ({len(data)} bytes)"
    width, height, bpp, rows = _png_rows(data, 900)
    assert (width, height) == (1280, 2000)
    colours = {row[x : x + 3] for row in rows[::5] for x in range(0, width * bpp, bpp * 7)}
    assert len(colours) > 40, "the screenshot is (nearly) a single colour"

    def near(rgb: tuple[int, int, int]) -> bool:
        return any(all(abs(c[i] - rgb[i]) <= 12 for i in range(3)) for c in colours)

    assert near((0x16, 0xA3, 0x4A)), "no COPY-green pixels: the charts did not paint"
    assert near((0x25, 0x63, 0xEB)) or near((0xF5, 0x9E, 0x0B)), "no series colours painted"


# --- the live report at a phone-ish 800 px and a desktop 1400 px ------------------------------------------

# Measures the laid-out page: for each table, which column headers are displayed and whether each ends
# inside the viewport. Added to a copy of the report only (the report itself has no script).
_MEASURE = """<script>
document.body.setAttribute('data-layout', JSON.stringify({
  viewport: window.innerWidth,
  tables: [...document.querySelectorAll('section.tables .panel')].map(p => ({
    title: p.querySelector('h2').textContent,
    columns: [...p.querySelectorAll('th')].map(th => {
      const r = th.getBoundingClientRect();
      return {name: th.textContent, shown: getComputedStyle(th).display !== 'none' && r.width > 0, right: r.right};
    }),
  })),
  panels: [...document.querySelectorAll('.grid .panel')].map(p => {
    const r = p.getBoundingClientRect();
    return {title: p.querySelector('h2').textContent, left: r.left, top: r.top, right: r.right};
  }),
  badge: document.querySelector('.badge').textContent,
}));
</script>"""
MONEY = ("Strategy", "Mode", "Realized", "Unrealized", "P&L / start", "Cash", "Equity")


def _live_model() -> ReportModel:
    from decimal import Decimal

    from omegacopy.reporting.live_numbers import LeaderPnl, LiveRows, MarkedPosition, StrategyRow, compute
    from omegacopy.reporting.live_report import live_report_model

    d = Decimal
    strategies = tuple(
        StrategyRow(f"s-{i}", name, paper=i == 0, active=True, paused_reason=None, cash_usd=d("98765.43"),
                    starting_usd=d("100000"), signals=12345, copies=2345, orders=2000, filled=1900, rejected=100,
                    bought_usd=d("1234567.89"), realized_usd=d("-12345.67") if i else d("2345.6"))
        for i, name in enumerate(("Politics core (paper)", "Sports fixed size", EVIL))
    )  # fmt: skip
    positions = (MarkedPosition("s-1", "1", "0xm", d("1000"), d("0.5"), d("500"), d("0"), d("0.56"), "book"),)
    leaders = tuple(
        LeaderPnl(f"s-{i % 3}", "0x" + f"{i:02x}" * 20, 50, 20 - i, d("1000"), d(str(300 - 70 * i))) for i in range(6)
    )
    points = tuple(
        (f"s-{i % 3}", START + timedelta(minutes=7 * i), Decimal(i * (1 if i % 2 else -1))) for i in range(60)
    )
    rows = LiveRows(start=None, end=None, decisions=_model().decisions, latencies_s=(1.5, 2.0, 3.5, 9.0),
                    rejections=(("price_moved", 4),), realized_points=points, strategies=strategies,
                    positions=positions, leaders=leaders)  # fmt: skip
    return live_report_model(compute(rows), generated_at=END, badge=None)


@pytest.mark.parametrize("width", [800, 1400])
def test_the_live_report_keeps_its_money_in_view(tmp_path: Path, width: int) -> None:
    import json

    page = tmp_path / "live.html"
    page.write_text(render_report(_live_model()).replace("</body>", _MEASURE + "</body>"), encoding="utf-8")

    dom = _run_chromium([*_flags(tmp_path / "profile"), f"--window-size={width},2400", "--dump-dom", page.as_uri()])
    found = re.search(r'data-layout="([^"]+)"', dom.stdout)
    assert found, "the page did not lay out"
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<"))

    assert layout["badge"] == "paper + live"  # a run with a paper strategy is never badged plain LIVE
    tables = {t["title"]: t for t in layout["tables"]}
    strategies = {c["name"]: c for c in tables["Strategies"]["columns"]}
    for name in MONEY:
        assert strategies[name]["shown"], f"{name} hidden at {width} px"
        assert strategies[name]["right"] <= layout["viewport"], f"{name} off-screen at {width} px"
    assert all(c["right"] <= layout["viewport"] for c in tables["Leaders"]["columns"] if c["shown"])
    # the per-leader comparison sits beside the P&L on a wide screen, under it on a narrow one
    panels = {p["title"]: p for p in layout["panels"]}
    pnl, leaders = panels["P&L per strategy vs leaders"], panels["P&L by leader"]
    if width >= 1400:
        assert leaders["top"] == pnl["top"] and leaders["left"] > pnl["right"] - 1
    else:
        assert leaders["top"] > pnl["top"] and all(p["right"] <= layout["viewport"] for p in layout["panels"])
    if width < 900:
        assert not strategies["Signals"]["shown"]  # the counts give way, not the money
