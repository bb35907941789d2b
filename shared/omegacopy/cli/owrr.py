"""`omegacopy owrr compute`: OWRR of one market from JSON, with the same function the tick uses.

Input (stdin, or --input FILE):
  {"category": "politics" | null,
   "positions": [{"wallet_address", "side": "YES"|"NO", "total_shares", "weighted_avg_entry_price",
                  "total_position_value"}, ...],
   "metrics": [{"wallet_address", "category", "window", "metric_2_omega_net", "metric_22_resolved_bets"},
               ...]}
Output: the OwrrResult JSON (`OwrrResult.to_dict`). Invalid input: one line on stderr, exit 2.
Numbers must be finite (no NaN, Infinity, 1e309) and in range: shares, values, omegas and bet
counts non-negative, entry prices within [0, 1]. The JSON is read strictly (`omegacopy.strict_json`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omegacopy.domain.owrr import WalletMetric, WalletPosition, compute_owrr
from omegacopy.strict_json import JsonInputError, loads

EXIT_OK = 0
EXIT_BAD_INPUT = 2


NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Price = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _OwrrRow(BaseModel):
    # Unknown keys are errors: a typo like "metric_2_omega" must not silently read as a missing omega.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class PositionIn(_OwrrRow):
    wallet_address: Text
    side: Literal["YES", "NO"]
    total_shares: NonNegative
    weighted_avg_entry_price: Price
    total_position_value: NonNegative

    @field_validator("side", mode="before")
    @classmethod
    def _upper_side(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class MetricIn(_OwrrRow):
    wallet_address: Text
    category: Text
    window: Text
    metric_2_omega_net: NonNegative | None = None
    metric_22_resolved_bets: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = None


class ComputeIn(_OwrrRow):
    category: Text | None
    positions: Annotated[list[PositionIn], Field(max_length=100_000)] = []
    metrics: Annotated[list[MetricIn], Field(max_length=100_000)] = []


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
        parsed = ComputeIn.model_validate(loads(raw, max_depth=8, max_bytes=50_000_000))
    except JsonInputError as exc:
        print(f"owrr compute: invalid input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        print(f"owrr compute: invalid input: {_describe(exc)}", file=sys.stderr)
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
    """The problems on one line, each with a JSON-ish path: `positions[1].side: Input should be 'YES' or 'NO'`
    (the first five, then how many more)."""
    parts = []
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    for err in errors[:5]:
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        parts.append(f"{path or '(document)'}: {err['msg']}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    return "; ".join(parts)
