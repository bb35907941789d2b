"""`omegacopy leaders discover|show`: whom to follow, by our own metrics, straight from the public APIs.

No database: reads the APIs named by DATA_API_URL and GAMMA_API_URL (Polymarket's production hosts
by default), rate-limited like the functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_ADDRESS = r"^0x[0-9a-f]{40}$"


class _ShowArgs(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: Annotated[str, Field(pattern=_ADDRESS)]

    @field_validator("address", mode="before")
    @classmethod
    def _any_case(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v  # EIP-55 or not: one wallet


class _DiscoverArgs(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")] | None = None
    min_resolved: Annotated[int, Field(ge=0, le=100_000)] = 10
    limit: Annotated[int, Field(ge=1, le=200)] = 20

    @field_validator("category", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


def _client() -> Any:
    import os  # noqa: PLC0415

    from omegacopy.adapters.polymarket import public_data_from_env  # noqa: PLC0415

    return public_data_from_env(os.environ)


def _fail(command: str, exc: Exception) -> int:
    from omegacopy.ports import PublicDataError  # noqa: PLC0415

    if isinstance(exc, PublicDataError):
        print(f"omegacopy leaders {command}: Polymarket's public API failed ({str(exc)[:200]}); "
              "check DATA_API_URL / GAMMA_API_URL and the network, then retry", file=sys.stderr)  # fmt: skip
        return 1
    raise exc


def _show(args: argparse.Namespace) -> int:
    from omegacopy.adapters.clock import SystemClock  # noqa: PLC0415
    from omegacopy.app.leaders import card_json, leader_card  # noqa: PLC0415

    try:
        parsed = _ShowArgs(address=args.address)
    except ValidationError:
        print("omegacopy leaders show: ADDRESS must be a wallet address, 0x and 40 hex digits", file=sys.stderr)
        return 2
    try:
        card = leader_card(_client(), parsed.address, now=SystemClock().now())
    except Exception as exc:
        return _fail("show", exc)
    if args.json:
        print(json.dumps(card_json(card)))
        return 0
    print(f"{card.wallet}  ({card.positions} positions read{_rejected(card.invalid_rows)})")
    rows = [["category", "omega", "resolved", "win rate", "realized P&L", "gains", "losses", "last active"]]
    for m in sorted(card.metrics, key=lambda m: (m.category == "overall", m.category)):
        rows.append([m.category, _omega(m.omega_net), str(m.resolved_bets), _pct(m.win_rate), _usd(m.realized_pnl_usd),
                     _usd(m.gains_usd), _usd(m.losses_usd), _when(m.last_active)])  # fmt: skip
    _table(rows)
    return 0


def _discover(args: argparse.Namespace) -> int:
    from omegacopy.adapters.clock import SystemClock  # noqa: PLC0415
    from omegacopy.app.leaders import discover  # noqa: PLC0415

    try:
        parsed = _DiscoverArgs(category=args.category, min_resolved=args.min_resolved, limit=args.limit)
    except ValidationError as exc:
        problem = exc.errors()[0]
        print(f"omegacopy leaders discover: --{str(problem['loc'][0]).replace('_', '-')}: {problem['msg']}",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        ranked = discover(_client(), category=parsed.category, min_resolved=parsed.min_resolved, limit=parsed.limit,
                          now=SystemClock().now())  # fmt: skip
    except Exception as exc:
        return _fail("discover", exc)
    category = parsed.category or "overall"
    if args.json:
        out = []
        for c in ranked:
            m = c.card.category(category)
            assert m is not None
            out.append({"wallet": c.card.wallet, "omega_net": float(m.omega_net) if m.omega_net is not None else None,
                        "resolved_bets": m.resolved_bets, "realized_pnl_usd": float(m.realized_pnl_usd),
                        "win_rate": float(m.win_rate) if m.win_rate is not None else None,
                        "last_active": m.last_active.isoformat() if m.last_active else None,
                        "found_in": list(c.sources)})  # fmt: skip
        print(json.dumps({"category": category, "leaders": out}))
        return 0
    if not ranked:
        print(f"no wallet with at least {parsed.min_resolved} resolved bets in {category} among the candidates")
        return 0
    rows = [["#", "wallet", "omega", "resolved", "realized P&L", "win rate", "last active", "found in"]]
    for i, c in enumerate(ranked, start=1):
        m = c.card.category(category)
        assert m is not None
        rows.append([str(i), c.card.wallet, _omega(m.omega_net), str(m.resolved_bets), _usd(m.realized_pnl_usd),
                     _pct(m.win_rate), _when(m.last_active), ", ".join(sorted(set(c.sources)))[:40]])  # fmt: skip
    _table(rows)
    print("\nfollow one: omegacopy leader follow <strategy> <wallet>   card: omegacopy leaders show <wallet>")
    return 0


def _omega(v: Decimal | None) -> str:
    if v is None:
        return "-"
    return "no losses" if v >= Decimal("99999") else f"{v:.2f}"


def _pct(v: Decimal | None) -> str:
    return "-" if v is None else f"{v * 100:.0f}%"


def _usd(v: Decimal) -> str:
    return f"${v:,.2f}" if v >= 0 else f"-${-v:,.2f}"


def _when(v: datetime | None) -> str:
    return "-" if v is None else v.astimezone(UTC).strftime("%Y-%m-%d")


def _rejected(n: int) -> str:
    return "" if n == 0 else f", {n} malformed rows skipped"


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def register(sub: Any) -> None:
    group = sub.add_parser("leaders", help="find wallets worth following, by our own omega (public APIs, no database)")
    cmds = group.add_subparsers(dest="leaders_command", metavar="COMMAND", required=True)
    show = cmds.add_parser("show", help="one wallet's card per category")
    show.add_argument("address", help="the wallet (any case)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=_show)
    disc = cmds.add_parser("discover", help="rank candidate wallets from leaderboards and busy markets' holders")
    disc.add_argument("--category", help="a market category (politics, sports, crypto, ...); default: all")
    disc.add_argument("--min-resolved", type=int, default=10, help="least resolved positions in the category")
    disc.add_argument("--limit", type=int, default=20, help="how many to list")
    disc.add_argument("--json", action="store_true", help="machine-readable output")
    disc.set_defaults(func=_discover)
