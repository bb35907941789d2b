"""`omegacopy` command line: one module per command group, registered here.

Each module exposes `register(subparsers)`; a command sets `func(args) -> int` as its default.
Modules are imported lazily so `omegacopy owrr compute` never loads boto3 or chDB.
"""

from __future__ import annotations

import argparse
import importlib
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
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omegacopy", description="OmegaCopy operator commands")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")
    wanted = argv[0] if argv else None
    for name, module_name in _GROUPS.items():
        if wanted is not None and name != wanted:
            # only the requested group is imported; others are listed by name for --help
            sub.add_parser(name)
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
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    result: int = func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
