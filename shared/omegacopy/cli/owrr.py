"""`omegacopy owrr compute`: OWRR of one market from JSON, with the same function the tick uses.

Input (stdin, or --input FILE):
  {"category": "politics" | null,
   "positions": [{"wallet_address", "side": "YES"|"NO", "total_shares", "weighted_avg_entry_price",
                  "total_position_value"}, ...],
   "metrics": [{"wallet_address", "category", "window", "metric_2_omega_net", "metric_22_resolved_bets"},
               ...]}
Output: the OwrrResult JSON (`OwrrResult.to_dict`). Invalid input: a message on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from omegacopy.domain.owrr import WalletMetric, WalletPosition, compute_owrr

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class _Row(BaseModel):
    # Unknown keys are errors: a typo like "metric_2_omega" must not silently read as a missing omega.
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionIn(_Row):
    wallet_address: str
    side: Literal["YES", "NO"]
    total_shares: float
    weighted_avg_entry_price: float
    total_position_value: float

    @field_validator("side", mode="before")
    @classmethod
    def _upper_side(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class MetricIn(_Row):
    wallet_address: str
    category: str
    window: str
    metric_2_omega_net: float | None = None
    metric_22_resolved_bets: int | None = None


class ComputeIn(_Row):
    category: str | None
    positions: list[PositionIn] = []
    metrics: list[MetricIn] = []


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("owrr", help="OWRR (smart-money consensus) tools")
    commands = group.add_subparsers(dest="owrr_command", metavar="SUBCOMMAND", required=True)
    compute = commands.add_parser(
        "compute",
        help="compute the OWRR of one market from JSON positions and wallet metrics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compute.add_argument("--input", "-i", default="-", help="JSON file to read (default: stdin)")
    compute.add_argument("--compact", action="store_true", help="print JSON on one line")
    compute.set_defaults(func=run_compute)


def run_compute(args: argparse.Namespace) -> int:
    try:
        raw = sys.stdin.read() if args.input == "-" else _read_file(args.input)
    except OSError as exc:
        print(f"owrr compute: cannot read {args.input}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        parsed = ComputeIn.model_validate_json(raw)
    except ValidationError as exc:
        print(f"owrr compute: invalid input:\n{_describe(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT

    positions = [
        WalletPosition(p.wallet_address, p.side, p.total_shares, p.weighted_avg_entry_price, p.total_position_value)
        for p in parsed.positions
    ]
    metrics = [
        WalletMetric(m.wallet_address, m.category, m.window, m.metric_2_omega_net, m.metric_22_resolved_bets)
        for m in parsed.metrics
    ]
    result = compute_owrr(parsed.category, positions, metrics)
    print(json.dumps(result.to_dict(), indent=None if args.compact else 2))
    return EXIT_OK


def _read_file(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _describe(exc: ValidationError) -> str:
    """One line per problem, with a JSON-ish path: `positions[1].side: Input should be 'YES' or 'NO'`."""
    lines = []
    for err in exc.errors(include_url=False):
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        lines.append(f"  {path or '(document)'}: {err['msg']}")
    return "\n".join(lines)
