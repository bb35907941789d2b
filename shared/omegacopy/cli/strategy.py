"""`omegacopy strategy create|list|show|set|pause|resume|delete`: strategies without SQL.

  omegacopy strategy create ID --wallet W [--name TEXT] [--leader 0x…]... [--disabled] KEY=VALUE...
  omegacopy strategy list [--json | --yaml]
  omegacopy strategy show ID [--json]
  omegacopy strategy set ID KEY=VALUE...
  omegacopy strategy pause ID [--reason TEXT]
  omegacopy strategy resume ID
  omegacopy strategy delete ID [--yes]

KEY=VALUE are the keys of strategies.yaml (lists comma-separated): balance_usd (the capital),
max_position_size_usd, max_positions, risk_per_trade_percent, categories (names, or `all`),
consensus (owrr | off: plain copying, no OWRR gate), owrr_threshold_yes, owrr_threshold_no,
min_owrr_confidence, markets_filter, sizing_mode (owrr_scaled | fixed | proportional | kelly),
fixed_size_usd, proportional_fraction, kelly_fraction (0.25 = quarter Kelly), slippage_ceiling,
order_style (FAK | FOK | GTC | GTD), stop_loss_pct, take_profit_pct (`none`: off), mode (paper |
live; a new strategy is `paper`: filled against the live order book, nothing signed or posted);
`set` also takes name, wallet, enabled.

Going live trades real money, so it asks for a confirmation (or `--yes`):
  omegacopy strategy set ID mode=live
A strategy changes mode only when it holds no open position and no unfinished order (its paper and
real books never mix); going live starts its cash again from its capital. Every value is checked
by the rules `omegacopy apply` and the monitor use.

A strategy is traded only when it is enabled and not paused. `pause` is how trading stops for a
strategy (the loss limits pause it too); `resume` lifts the pause (check first what made it stop).
Exit codes: 0 done, 1 failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from omegacopy.cli.database import add_database_option, connect
from omegacopy.cli.errors import EXIT_BAD_INPUT, EXIT_OK, CliError
from omegacopy.domain.models import TradingMode
from omegacopy.strategy_settings import (
    SETTING_NAMES,
    StoredStrategy,
    StrategySpec,
    check_strategy_id,
    describe_errors,
)

PAUSED_BY_OPERATOR = "paused by the operator"
_SPEC_KEYS = (*SETTING_NAMES, "name", "wallet", "enabled")


# ------------------------------------------------------------------------------------------------
# Shared with `omegacopy apply` and `omegacopy leader`
# ------------------------------------------------------------------------------------------------
def strategy_id(text: str) -> str:
    try:
        return check_strategy_id(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def spec_input(stored: StoredStrategy) -> dict[str, Any]:
    """A stored strategy as `StrategySpec` input: what `set` edits (even when the row is invalid)."""
    values: dict[str, Any] = dict(stored.raw_settings or {})
    if stored.settings is not None:
        values = {name: getattr(stored.settings, name) for name in SETTING_NAMES}
    if stored.capital_usd is not None:
        values["balance_usd"] = stored.capital_usd
    return {
        **values,
        "id": stored.strategy_id,
        "name": stored.name,
        "wallet": stored.wallet_id,
        "enabled": stored.enabled,
        "leaders": list(stored.leaders),
    }


def validated_spec(values: dict[str, Any], *, what: str) -> StrategySpec:
    try:
        return StrategySpec.model_validate(values)
    except ValidationError as exc:
        raise CliError(f"{what}: {describe_errors(exc)}", "correct the value(s) named", code=EXIT_BAD_INPUT) from None


def write_plan(store: Any, plan: Any) -> None:
    """Carry out an `app.strategy_plan.Plan` through a `PgStrategyStore` (inside the caller's transaction)."""
    for change in plan.changes:
        if change.action == "create":
            store.create(change.spec)
            continue
        if change.action == "disable":
            store.set_enabled(change.strategy_id, False)
            continue
        spec = change.spec
        if change.fields:
            store.update(
                spec.id, name=spec.display_name, wallet_id=spec.wallet, enabled=spec.enabled, settings=spec.settings()
            )
        if change.goes_live:
            store.restart_cash(spec.id)  # paper money is not money
        store.follow(spec.id, change.follow)
        store.unfollow(spec.id, change.unfollow)


def plan_and_write(
    conn: Any, specs: Sequence[StrategySpec], *, dry_run: bool = False, prune: bool = False, live_ok: bool = False
) -> Any:
    """Plan `specs` against the database and write the plan, in one transaction. Returns the plan.
    A plan that makes a strategy trade real money is written only with `live_ok` (the confirmation)."""
    from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415
    from omegacopy.app.strategy_plan import PlanError, plan_apply  # noqa: PLC0415

    store = PgStrategyStore(conn)
    with conn.transaction():
        stored = store.load(for_update=True)
        try:
            plan = plan_apply(specs, stored, wallets=store.wallet_ids(), prune=prune)
        except PlanError as exc:
            raise CliError(str(exc), code=EXIT_BAD_INPUT) from None  # each problem names its own fix
        for change in plan.changes:
            if change.mode_change is not None:
                blocker = store.mode_blocker(change.strategy_id)
                if blocker is not None:
                    mode = change.mode_change
                    raise CliError(
                        f"strategy {change.strategy_id} cannot change mode now ({mode.old} → {mode.new}, a strategy"
                        f" that does not say is paper): it has {blocker}",
                        f"say `mode: {mode.old}` to keep it as it is; or wait until its positions are closed or"
                        " resolved and its orders are over, or create a new strategy in the mode you want",
                        code=EXIT_BAD_INPUT,
                    )
        if plan.going_live and not dry_run and not live_ok:
            raise CliError(
                f"{', '.join(plan.going_live)} would trade real money (mode live)",
                "check the diff with --dry-run, then confirm with --yes",
                code=EXIT_BAD_INPUT,
            )
        if not dry_run:
            write_plan(store, plan)
    return plan


def parse_assignments(pairs: Sequence[str], *, allowed: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise CliError(f"expected KEY=VALUE, got {pair!r}", f"keys: {', '.join(allowed)}", code=EXIT_BAD_INPUT)
        if key not in allowed:
            raise CliError(f"unknown setting {key!r}", f"one of: {', '.join(allowed)}", code=EXIT_BAD_INPUT)
        values[key] = value.strip()
    return values


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) if value else "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(getattr(value, "value", value))


def _load(conn: Any, sid: str) -> StoredStrategy:
    from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415

    found = PgStrategyStore(conn).load([sid]).get(sid)
    if found is None:
        raise CliError(f"no strategy {sid!r}", "omegacopy strategy list shows the strategies", code=EXIT_BAD_INPUT)
    return found


def as_dict(s: StoredStrategy) -> dict[str, Any]:
    settings = None
    if s.settings is not None:
        settings = {k: _json(v) for k, v in s.settings.settings_values().items()}
        settings["balance_usd"] = _json(s.capital_usd)
    return {
        "id": s.strategy_id,
        "name": s.name,
        "wallet": s.wallet_id,
        "enabled": s.enabled,
        "paused_reason": s.paused_reason,
        "state": s.state,
        "capital_usd": _json(s.capital_usd),
        "cash_usd": _json(s.cash_usd),
        "leaders": list(s.leaders),
        "settings": settings,
        "settings_error": s.settings_error,
    }


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return list(value)
    return value


# ------------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------------
def _create(args: argparse.Namespace) -> int:
    values = parse_assignments(args.settings, allowed=SETTING_NAMES)
    values.update(id=args.id, wallet=args.wallet, enabled=not args.disabled, leaders=args.leader or [])
    if args.name:
        values["name"] = args.name
    spec = validated_spec(values, what=f"strategy {args.id}")
    with connect(args) as conn:
        from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415

        if args.id in PgStrategyStore(conn).load([args.id]):
            raise CliError(
                f"strategy {args.id} already exists",
                f"change it with: omegacopy strategy set {args.id} KEY=VALUE",
                code=EXIT_BAD_INPUT,
            )
        live_ok = spec.mode is not TradingMode.LIVE or _confirm_live(args, args.id)
        plan_and_write(conn, [spec], live_ok=live_ok)
        created = _load(conn, args.id)
    mode = created.settings.mode.value if created.settings is not None else "?"
    print(f"created {created.strategy_id}: {created.state}, {mode}, wallet {created.wallet_id}, "
          f"{len(created.leaders)} leader(s), capital {_text(created.capital_usd)}")  # fmt: skip
    if not created.leaders:
        print(f"  it copies nobody yet: omegacopy leader follow {created.strategy_id} 0x…")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415

    with connect(args) as conn:
        strategies = list(PgStrategyStore(conn).load().values())
    if args.json:
        print(json.dumps([as_dict(s) for s in strategies], indent=2))
        return EXIT_OK
    if args.yaml:
        from omegacopy.cli.yaml_io import dump_yaml  # noqa: PLC0415

        print(dump_yaml({"strategies": [export(s) for s in strategies]}), end="")
        return EXIT_OK
    if not strategies:
        print("no strategies yet: omegacopy strategy create … or omegacopy apply -f strategies.yaml")
        return EXIT_OK
    header = ("ID", "ENABLED", "STATE", "MODE", "WALLET", "LEADERS", "CAPITAL", "CASH", "CATEGORIES")
    rows = [
        (
            s.strategy_id,
            "yes" if s.enabled else "no",
            s.state,
            s.settings.mode.value if s.settings else "-",
            s.wallet_id,
            str(len(s.leaders)),
            _text(s.capital_usd),
            _text(s.cash_usd),
            _text(s.settings.categories) if s.settings else "-",
        )
        for s in strategies
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for r in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def export(s: StoredStrategy) -> dict[str, Any]:
    """One strategies.yaml entry for a stored strategy (its capital as balance_usd)."""
    entry: dict[str, Any] = {"id": s.strategy_id, "name": s.name, "wallet": s.wallet_id, "enabled": s.enabled}
    if s.settings is not None:
        values = s.settings.settings_values()
        values["balance_usd"] = s.capital_usd
        entry.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items() if v is not None})
    entry["leaders"] = list(s.leaders)
    return entry


def _show(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        s = _load(conn, args.id)
    if args.json:
        print(json.dumps(as_dict(s), indent=2))
        return EXIT_OK
    print(f"strategy   {s.strategy_id} ({s.name})")
    print(f"state      {s.state}{'' if s.state == 'active' else ' — the monitor does not trade it'}")
    print(f"enabled    {_text(s.enabled)}")
    if s.settings is not None:
        live = s.settings.mode is TradingMode.LIVE
        print(f"mode       {s.settings.mode.value}" + ("" if live else " — filled on paper, nothing is sent"))
    print(f"wallet     {s.wallet_id}")
    print(f"capital    {_text(s.capital_usd)} (cash now {_text(s.cash_usd)})")
    print(f"leaders    {len(s.leaders)}")
    for leader in s.leaders:
        print(f"  {leader}")
    if s.settings is None:
        print(f"settings   invalid: {s.settings_error}")
        print(f"  fix with: omegacopy strategy set {s.strategy_id} KEY=VALUE")
        return EXIT_OK
    print("settings")
    for name, value in s.settings.settings_values().items():
        if name != "balance_usd":
            print(f"  {name:<24} {_text(value)}")
    return EXIT_OK


def _set(args: argparse.Namespace) -> int:
    from omegacopy.app.strategy_plan import render_plan  # noqa: PLC0415

    updates = parse_assignments(args.settings, allowed=_SPEC_KEYS)
    if not updates:
        raise CliError("nothing to set", f"give KEY=VALUE pairs; keys: {', '.join(_SPEC_KEYS)}", code=EXIT_BAD_INPUT)
    with connect(args) as conn:
        stored = _load(conn, args.id)
        spec = validated_spec({**spec_input(stored), **updates}, what=f"strategy {args.id}")
        stored_mode = stored.settings.mode if stored.settings else (stored.raw_settings or {}).get("mode")
        was_live = stored_mode == TradingMode.LIVE
        live_ok = was_live or spec.mode is not TradingMode.LIVE or _confirm_live(args, args.id)
        if not live_ok:
            print("not changed")
            return EXIT_BAD_INPUT
        plan = plan_and_write(conn, [spec], live_ok=True)
    lines = render_plan(plan)
    print("\n".join(lines) if lines else f"{args.id}: nothing changed (already so)")
    return EXIT_OK


def _pause(args: argparse.Namespace) -> int:
    from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415

    reason = (args.reason or PAUSED_BY_OPERATOR).strip()[:500]
    with connect(args) as conn, conn.transaction():
        store = PgStrategyStore(conn)
        s = _load(conn, args.id)
        if s.paused_reason is not None:
            print(f"{args.id} is already paused: {s.paused_reason}")
            return EXIT_OK
        store.pause(args.id, reason)
    print(f"paused {args.id}: {reason}. New leader trades are no longer copied; open orders and positions stay.")
    print(f"  resume with: omegacopy strategy resume {args.id}")
    return EXIT_OK


def _resume(args: argparse.Namespace) -> int:
    from omegacopy.adapters.pg_strategies import PgStrategyStore  # noqa: PLC0415

    with connect(args) as conn, conn.transaction():
        s = _load(conn, args.id)
        if s.paused_reason is None:
            print(f"{args.id} is not paused ({s.state})")
            return EXIT_OK
        if s.settings is None:
            raise CliError(
                f"{args.id} has invalid settings ({s.settings_error}); the monitor would skip it",
                f"omegacopy strategy set {args.id} KEY=VALUE, then resume",
                code=EXIT_BAD_INPUT,
            )
        PgStrategyStore(conn).resume(args.id)
    print(f"resumed {args.id} (was paused: {s.paused_reason})")
    if not s.enabled:
        print(f"  it is disabled, so it still does not trade: omegacopy strategy set {args.id} enabled=true")
    return EXIT_OK


def _delete(args: argparse.Namespace) -> int:
    from omegacopy.adapters.pg_strategies import PgStrategyStore, StrategyInUseError  # noqa: PLC0415

    if not args.yes and not _confirm(f"delete strategy {args.id}, its settings and its leaders? [y/N] "):
        print("not deleted")
        return EXIT_BAD_INPUT
    with connect(args) as conn, conn.transaction():
        _load(conn, args.id)
        try:
            PgStrategyStore(conn).delete(args.id)
        except StrategyInUseError as exc:
            raise CliError(
                str(exc),
                f"history is kept: pause it (omegacopy strategy pause {args.id}) or disable it"
                f" (omegacopy strategy set {args.id} enabled=false) instead",
            ) from None
    print(f"deleted {args.id}")
    return EXIT_OK


def _confirm(prompt: str, *, what: str = "deleting") -> bool:
    if not sys.stdin.isatty():
        raise CliError(f"{what} needs a confirmation", "add --yes", code=EXIT_BAD_INPUT)
    return input(prompt).strip().lower() in ("y", "yes")


def _confirm_live(args: argparse.Namespace, sid: str) -> bool:
    """Going live: real orders, signed with the wallet's key. `--yes` or a typed yes."""
    if args.yes:
        return True
    prompt = f"{sid} will sign and post REAL orders with its wallet's money. Go live? [y/N] "
    return _confirm(prompt, what="going live")


def register(subparsers: Any) -> None:
    group = subparsers.add_parser(
        "strategy",
        help="strategies: create, list, show, set, pause, resume, delete",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = group.add_subparsers(dest="strategy_command", metavar="SUBCOMMAND", required=True)

    create = cmds.add_parser("create", help="create a strategy (enabled unless --disabled)")
    create.add_argument("id", type=strategy_id, help="the strategy's id (letters, digits, _ . -)")
    create.add_argument("--wallet", required=True, help="the follower wallet's id (omegacopy wallet import)")
    create.add_argument("--name", help="a readable name (default: the id)")
    create.add_argument("--leader", action="append", metavar="0x…", help="a leader to copy (repeat; any case)")
    create.add_argument("--disabled", action="store_true", help="create it disabled (the monitor ignores it)")
    create.add_argument("--yes", action="store_true", help="do not ask before creating it in mode live")
    create.add_argument(
        "settings",
        nargs="*",
        metavar="KEY=VALUE",
        help="settings, e.g. balance_usd=5000 categories=politics,sports (every key: omegacopy strategy --help)",
    )
    create.set_defaults(func=_create, assignments_dest="settings")

    lst = cmds.add_parser("list", help="every strategy: enabled, state, wallet, leaders, capital, cash")
    fmt = lst.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="as JSON")
    fmt.add_argument("--yaml", action="store_true", help="as a strategies.yaml for omegacopy apply")
    lst.set_defaults(func=_list)

    show = cmds.add_parser("show", help="one strategy's state, leaders and every setting")
    show.add_argument("id", type=strategy_id)
    show.add_argument("--json", action="store_true", help="as JSON")
    show.set_defaults(func=_show)

    st = cmds.add_parser("set", help="change settings, name, wallet or enabled (prints what changed)")
    st.add_argument("id", type=strategy_id)
    st.add_argument("settings", nargs="+", metavar="KEY=VALUE", help="every key: omegacopy strategy --help")
    st.add_argument("--yes", action="store_true", help="do not ask before mode=live")
    st.set_defaults(func=_set, assignments_dest="settings")

    pause = cmds.add_parser("pause", help="stop copying new trades (orders and positions stay)")
    pause.add_argument("id", type=strategy_id)
    pause.add_argument("--reason", help=f"why (shown by list/show; default: {PAUSED_BY_OPERATOR!r})")
    pause.set_defaults(func=_pause)

    resume = cmds.add_parser("resume", help="lift a pause (yours or a loss limit's)")
    resume.add_argument("id", type=strategy_id)
    resume.set_defaults(func=_resume)

    delete = cmds.add_parser("delete", help="delete a strategy that never traded (else pause or disable it)")
    delete.add_argument("id", type=strategy_id)
    delete.add_argument("--yes", action="store_true", help="do not ask")
    delete.set_defaults(func=_delete)

    for parser in (create, lst, show, st, pause, resume, delete):
        add_database_option(parser)
