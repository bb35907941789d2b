"""Number formatting shared by the report loaders (money, percentages, table cells)."""

from __future__ import annotations

from decimal import Decimal

from omegacopy.domain.money import TENTH, quantize, to_cents
from omegacopy.reporting.report_model import Cell


def num(text: str, t: str = "") -> Cell:
    return Cell(text, t, numeric=True)


def tone(v: Decimal) -> str:
    return "pos" if v > 0 else "neg" if v < 0 else ""


def money(v: Decimal) -> str:
    q = to_cents(v)
    sign = "−" if q < 0 else ""
    return f"{sign}${abs(q):,.2f}"


def pct(v: Decimal | None) -> str:
    if v is None:
        return "—"
    q = quantize(v, TENTH)
    return f"{q if q != 0 else abs(q)}%".replace("-", "−")  # never "−0.0%"


def ratio(a: int, b: int) -> str:
    return f"{a / b * 100:.0f}%" if b else "—"
