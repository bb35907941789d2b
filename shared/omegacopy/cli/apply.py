"""`omegacopy apply -f strategies.yaml`: make the stored strategies what the file says.

  omegacopy apply -f strategies.yaml [--dry-run] [--prune] [--yes] [--database-url URL]

Declarative and idempotent: the file is validated as a whole (the same model the monitor uses),
the difference to the database is printed (`+` create, `~` update, `-` disable), and written in one
transaction; applying the same file again changes nothing. `--dry-run` prints the difference only.
A pause is never lifted by apply (`omegacopy strategy resume` does that); strategies the file does
not name are left alone, or disabled with `--prune` (never deleted). The annotated example is
`examples/strategies.yaml`. A file that makes a strategy live (real orders) is applied only with
`--yes`: the diff marks it LIVE. Exit codes: 0 applied (or nothing to do), 1 failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from omegacopy.cli.database import add_database_option, connect
from omegacopy.cli.errors import EXIT_BAD_INPUT, EXIT_OK, CliError
from omegacopy.strategy_settings import StrategiesFile

_MAX_ERRORS = 5


def read_strategies(path: Path) -> StrategiesFile:
    """Parse and validate a strategies file; `CliError` names the strategy and field at fault."""
    from omegacopy.cli.yaml_io import load_yaml  # noqa: PLC0415 - PyYAML only for this command

    source = "stdin" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if source == "stdin" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}", "check the path", code=EXIT_BAD_INPUT) from None
    data = load_yaml(text, source=source)
    if isinstance(data, list):
        data = {"strategies": data}
    if not isinstance(data, dict) or "strategies" not in data:
        raise CliError(
            f"{source}: expected a mapping with a `strategies:` list",
            "see examples/strategies.yaml",
            code=EXIT_BAD_INPUT,
        )
    try:
        return StrategiesFile.model_validate(data)
    except ValidationError as exc:
        raise CliError(f"{source}: {_errors(exc, data)}", "correct the field(s) named", code=EXIT_BAD_INPUT) from None


def _errors(exc: ValidationError, data: dict[str, Any]) -> str:
    listed = data.get("strategies")
    entries: list[Any] = listed if isinstance(listed, list) else []
    parts: list[str] = []
    for error in exc.errors(include_url=False)[:_MAX_ERRORS]:
        loc = list(error["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "strategies" and isinstance(loc[1], int):
            index = loc[1]
            entry = entries[index] if index < len(entries) else None
            ident = entry.get("id") if isinstance(entry, dict) else None
            where = f"strategy {ident}" if ident else f"strategies[{index}]"
            loc = loc[2:]
        field = ".".join(str(p) for p in loc)
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(": ".join(p for p in (where, field, message) if p))
    more = len(exc.errors()) - _MAX_ERRORS
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _apply(args: argparse.Namespace) -> int:
    from omegacopy.app.strategy_plan import render_plan  # noqa: PLC0415
    from omegacopy.cli.strategy import plan_and_write  # noqa: PLC0415

    wanted = read_strategies(args.file)
    with connect(args) as conn:
        plan = plan_and_write(conn, wanted.strategies, dry_run=args.dry_run, prune=args.prune, live_ok=args.yes)
    for line in render_plan(plan):
        print(line)
    if plan.unchanged:
        print(f"unchanged: {', '.join(plan.unchanged)}")
    if plan.unmanaged:
        print(f"not in the file, left alone: {', '.join(plan.unmanaged)} (--prune disables them)")
    for note in plan.notes:
        print(f"note: {note}")
    created = sum(1 for c in plan.changes if c.action == "create")
    updated = sum(1 for c in plan.changes if c.action == "update")
    disabled = sum(1 for c in plan.changes if c.action == "disable")
    if plan.empty:
        print("no changes: the database already matches the file")
    elif args.dry_run:
        print(f"dry run: {created} to create, {updated} to update, {disabled} to disable; nothing written")
    else:
        print(f"applied: {created} created, {updated} updated, {disabled} disabled")
    return EXIT_OK


def register(subparsers: Any) -> None:
    cmd = subparsers.add_parser(
        "apply",
        help="make the strategies match a strategies.yaml (idempotent; --dry-run prints the diff)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("-f", "--file", type=Path, required=True, help="the strategies file (- for stdin)")
    cmd.add_argument("--dry-run", action="store_true", help="print the difference, write nothing")
    cmd.add_argument("--prune", action="store_true", help="disable stored strategies the file does not name")
    cmd.add_argument("--yes", action="store_true", help="confirm strategies that go live (real orders)")
    add_database_option(cmd)
    cmd.set_defaults(func=_apply)
