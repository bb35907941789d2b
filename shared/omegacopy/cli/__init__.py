"""`omegacopy` command line: one module per command group, registered here.

Each module exposes `register(subparsers)`; a command sets `func(args) -> int` as its default.
Modules are imported lazily so `omegacopy owrr compute` never loads boto3 or chDB, and
`omegacopy --help` loads none: it lists every group with its line from `_SUMMARIES` (a test keeps
those equal to the modules' own help).

Errors: whatever a command does not handle itself ends as one line naming the problem and the fix
(`omegacopy.cli.errors`); `--debug` (anywhere on the line) or OMEGACOPY_DEBUG=1 shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# group name -> module under omegacopy.cli
_GROUPS = {
    "owrr": "omegacopy.cli.owrr",
    "order": "omegacopy.cli.order",
    "db": "omegacopy.cli.db",
    "wallet": "omegacopy.cli.wallet",
    "run": "omegacopy.cli.run",
    "backtest": "omegacopy.cli.backtest",
    "report": "omegacopy.cli.report",
    "index": "omegacopy.cli.index",
    "leaders": "omegacopy.cli.leaders",
    "strategy": "omegacopy.cli.strategy",
    "leader": "omegacopy.cli.leader",
    "apply": "omegacopy.cli.apply",
    "doctor": "omegacopy.cli.doctor",
}

# group name -> its one line in `omegacopy --help` (the same text the module registers)
_SUMMARIES = {
    "owrr": "OWRR (smart-money consensus) tools",
    "order": "CLOB V2 orders (offline signing)",
    "db": "schema: PostgreSQL migrations and ClickHouse DDL",
    "wallet": "follower wallets: import keys (KMS-wrapped), rotate, show",
    "run": "run the whole system locally: embedded stack, seeded scenario, real handlers",
    "backtest": "replay trade history through the live decision code and simulate the fills",
    "report": "write an HTML report of the live system (signals, P&L, latency, rejections)",
    "strategy": "strategies: create, list, show, set, pause, resume, delete",
    "leader": "the leader wallets a strategy copies: follow, unfollow, list",
    "apply": "make the strategies match a strategies.yaml (idempotent; --dry-run prints the diff)",
    "doctor": "preflight: check every dependency of a deployment or the local stack, with the fix",
    "index": "the indexer: Polymarket public data into ClickHouse",
    "leaders": "find wallets worth following, by our own omega (public APIs, no database)",
}

_EPILOG = (
    "Run `omegacopy COMMAND --help` for a command's options. Add --debug to see the traceback of an "
    "unexpected error. Database commands read --database-url or $DATABASE_URL."
)


def _wanted(argv: Sequence[str]) -> str | None:
    """The command group named on the line (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _prog(argv: Sequence[str], group: str) -> str:
    """`omegacopy GROUP [SUBCOMMAND]` as typed, for error lines."""
    words = ["omegacopy", group]
    at = list(argv).index(group) if group in argv else -1
    if 0 <= at < len(argv) - 1 and not argv[at + 1].startswith("-"):
        words.append(argv[at + 1])
    return " ".join(words)


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omegacopy",
        description="OmegaCopy operator commands",
        epilog=_EPILOG,
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", title="commands")
    wanted = _wanted(argv)
    for name, module_name in _GROUPS.items():
        if name != wanted:
            # only the requested group is imported; the others are listed by name for --help
            sub.add_parser(name, help=_SUMMARIES.get(name, ""))
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list or os.environ.get("OMEGACOPY_DEBUG", "") not in ("", "0")
    args_list = [a for a in args_list if a != "--debug"]
    parser = build_parser(args_list)
    args, extras = parser.parse_known_args(args_list)
    if extras:
        # KEY=VALUE settings may follow options (`strategy create ID --wallet W k=v …`), which
        # argparse cannot take as the same positional list: a command names the list to extend
        into = getattr(args, "assignments_dest", None)
        if into is None or not all("=" in e and not e.startswith("-") for e in extras):
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        getattr(args, into).extend(extras)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    prog = _prog(args_list, args.group)
    try:
        result: int = func(args)
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from omegacopy.cli.errors import CliError, describe  # noqa: PLC0415 - only on the error path

        if debug and not isinstance(exc, CliError):  # a CliError is already the whole story
            raise
        problem = describe(exc)
        print(f"{prog}: {problem.line()}", file=sys.stderr)
        return problem.code
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
