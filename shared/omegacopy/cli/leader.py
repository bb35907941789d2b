"""`omegacopy leader follow|unfollow|list`: which leader wallets a strategy copies.

  omegacopy leader follow STRATEGY 0x… [0x…]...
  omegacopy leader unfollow STRATEGY 0x… [0x…]...
  omegacopy leader list [STRATEGY] [--all] [--json]

Addresses are accepted in any case (an EIP-55 checksummed paste from Polymarket works) and stored
lower-case. Unfollowing keeps the row (status REMOVED) as a record; following again re-activates
it. The monitor picks a change up at its next tick. Exit codes: 0 done, 1 failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from omegacopy.cli.database import add_database_option, connect
from omegacopy.cli.errors import EXIT_BAD_INPUT, EXIT_OK, CliError
from omegacopy.cli.strategy import strategy_id
from omegacopy.strategy_settings import normalize_address


def _address(text: str) -> str:
    try:
        return normalize_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _store(conn: Any, sid: str) -> Any:
    from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415

    store = PgStrategyStore(conn)
    if not store.load([sid], for_update=True):
        raise CliError(f"no strategy {sid!r}", "omegacopy strategy list shows the strategies", code=EXIT_BAD_INPUT)
    return store


def _follow(args: argparse.Namespace) -> int:
    addresses = list(dict.fromkeys(args.addresses))
    with connect(args) as conn, conn.transaction():
        added = _store(conn, args.strategy).follow(args.strategy, addresses)
    for address in added:
        print(f"{args.strategy}: following {address}")
    already = [a for a in addresses if a not in added]
    if already:
        print(f"{args.strategy}: already following {', '.join(already)}")
    return EXIT_OK


def _unfollow(args: argparse.Namespace) -> int:
    addresses = list(dict.fromkeys(args.addresses))
    with connect(args) as conn, conn.transaction():
        removed = _store(conn, args.strategy).unfollow(args.strategy, addresses)
    for address in removed:
        print(f"{args.strategy}: no longer following {address}")
    missing = [a for a in addresses if a not in removed]
    if missing:
        print(f"{args.strategy}: was not following {', '.join(missing)}")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415

    with connect(args) as conn:
        store = PgStrategyStore(conn)
        if args.strategy is not None and not store.load([args.strategy]):
            raise CliError(
                f"no strategy {args.strategy!r}", "omegacopy strategy list shows the strategies", code=EXIT_BAD_INPUT
            )
        rows = store.leaders(args.strategy, include_removed=args.all)
    if args.json:
        print(json.dumps([{"strategy": r.strategy_id, "address": r.address, "status": r.status} for r in rows]))
        return EXIT_OK
    if not rows:
        target = f"strategy {args.strategy}" if args.strategy else "any strategy"
        print(f"no leaders followed by {target}: omegacopy leader follow STRATEGY 0x…")
        return EXIT_OK
    for r in rows:
        print(f"{r.strategy_id}  {r.address}  {r.status}")
    return EXIT_OK


def register(subparsers: Any) -> None:
    group = subparsers.add_parser(
        "leader",
        help="the leader wallets a strategy copies: follow, unfollow, list",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = group.add_subparsers(dest="leader_command", metavar="SUBCOMMAND", required=True)
    follow = cmds.add_parser("follow", help="copy these leaders' trades in a strategy")
    unfollow = cmds.add_parser("unfollow", help="stop copying these leaders in a strategy")
    for parser, func in ((follow, _follow), (unfollow, _unfollow)):
        parser.add_argument("strategy", type=strategy_id, help="the strategy's id")
        parser.add_argument("addresses", nargs="+", type=_address, metavar="0x…", help="leader wallet address(es)")
        parser.set_defaults(func=func)
    lst = cmds.add_parser("list", help="the leaders followed (by one strategy, or all)")
    lst.add_argument("strategy", nargs="?", type=strategy_id, help="only this strategy")
    lst.add_argument("--all", action="store_true", help="also the leaders no longer followed")
    lst.add_argument("--json", action="store_true", help="as JSON")
    lst.set_defaults(func=_list)
    for parser in (follow, unfollow, lst):
        add_database_option(parser)
