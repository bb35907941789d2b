"""`omegacopy apply`: what it takes to make the stored strategies look like `strategies.yaml`.

Pure: the stored strategies and the wanted ones in, a `Plan` out. The plan is the dry-run diff and
also exactly what gets written, so applying a file twice plans nothing the second time.

What apply manages, per strategy named in the file: name, wallet, enabled, every setting, and the
watched leaders (a leader left out of the file stops being watched). What it does not touch:
- a pause (`paused_reason`, also set by the loss limits): only `omegacopy strategy resume` lifts it;
- the cash: `balance_usd` is the capital; a different capital moves the cash by the difference;
- strategies the file does not name, unless `prune` (then they are disabled, never deleted).

Going live (a strategy created in `mode: live`, or switched from `paper` to `live`) trades real
money: the plan names those strategies (`going_live`) so the caller can ask for a confirmation.
A stored strategy's mode changes only when the file says `mode`: a file that omits it, for a
strategy whose mode is not the default (paper), is refused with the fix.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from omegacopy.domain.models import TradingMode
from omegacopy.strategy_settings import SETTING_NAMES, StoredStrategy, StrategySpec


class PlanError(ValueError):
    """The file cannot be applied as it is (a missing wallet, cash that would go negative)."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    name: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class StrategyChange:
    strategy_id: str
    action: Literal["create", "update", "disable"]
    spec: StrategySpec | None = None
    fields: tuple[FieldChange, ...] = ()
    follow: tuple[str, ...] = ()
    unfollow: tuple[str, ...] = ()
    cash_delta: Decimal = Decimal("0")

    @property
    def mode_change(self) -> FieldChange | None:
        return next((f for f in self.fields if f.name == "mode"), None)

    @property
    def goes_live(self) -> bool:
        if self.action == "create":
            return self.spec is not None and self.spec.mode is TradingMode.LIVE
        change = self.mode_change
        return change is not None and change.new == TradingMode.LIVE.value


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[StrategyChange, ...]
    unchanged: tuple[str, ...] = ()
    unmanaged: tuple[str, ...] = ()  # stored, not in the file, left alone
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def going_live(self) -> tuple[str, ...]:
        """The strategies this plan makes trade real money."""
        return tuple(c.strategy_id for c in self.changes if c.goes_live)


def spec_values(spec: StrategySpec) -> dict[str, Any]:
    """What apply compares for one wanted strategy."""
    return {
        "name": spec.display_name,
        "wallet": spec.wallet,
        "enabled": spec.enabled,
        **spec.settings().settings_values(),
    }


def stored_values(stored: StoredStrategy) -> dict[str, Any]:
    """The same names for a stored strategy; `balance_usd` is its capital, not its cash."""
    values: dict[str, Any] = {"name": stored.name, "wallet": stored.wallet_id, "enabled": stored.enabled}
    if stored.settings is not None:
        values.update(stored.settings.settings_values())
        values["balance_usd"] = stored.capital_usd
    return values


def plan_apply(
    wanted: Sequence[StrategySpec],
    stored: Mapping[str, StoredStrategy],
    *,
    wallets: Collection[str],
    prune: bool = False,
) -> Plan:
    """The changes that make `stored` match `wanted`. Raises `PlanError` for what cannot be applied."""
    problems: list[str] = []
    changes: list[StrategyChange] = []
    unchanged: list[str] = []
    notes: list[str] = []
    for spec in wanted:
        if spec.wallet not in wallets:
            problems.append(
                f"strategy {spec.id}: wallet {spec.wallet} does not exist (import it first:"
                f" omegacopy wallet import --wallet-id {spec.wallet} …)"
            )
            continue
        current = stored.get(spec.id)
        if current is None:
            changes.append(StrategyChange(spec.id, "create", spec=spec, follow=spec.leaders))
            continue
        change = _update(spec, current, problems)
        if change is None:
            unchanged.append(spec.id)
        else:
            changes.append(change)
        if current.paused_reason is not None:
            notes.append(
                f"{spec.id} is paused ({current.paused_reason}); apply does not resume it:"
                f" omegacopy strategy resume {spec.id}"
            )
    if problems:
        raise PlanError("; ".join(problems))
    named = {s.id for s in wanted}
    others = sorted(sid for sid in stored if sid not in named)
    unmanaged: list[str] = []
    for sid in others:
        if prune and stored[sid].enabled:
            changes.append(StrategyChange(sid, "disable", fields=(FieldChange("enabled", True, False),)))
        elif not prune:
            unmanaged.append(sid)
    return Plan(tuple(changes), tuple(unchanged), tuple(unmanaged), tuple(notes))


def _update(spec: StrategySpec, current: StoredStrategy, problems: list[str]) -> StrategyChange | None:
    if "mode" not in spec.model_fields_set and current.settings is not None and current.settings.mode != spec.mode:
        # a file written before modes existed must not turn a live strategy into paper (its leaders'
        # trades would stop being copied) by omission: switching mode is said, never defaulted
        problems.append(
            f"strategy {spec.id}: it is {current.settings.mode.value} and the file does not say `mode`;"
            f" say `mode: {current.settings.mode.value}` to keep it, or `mode: {spec.mode.value}` to switch"
        )
        return None
    want, have = spec_values(spec), stored_values(current)
    fields: list[FieldChange] = []
    if current.settings is None:
        fields.append(FieldChange("settings", f"invalid ({current.settings_error})", "replaced"))
    for name, value in want.items():
        if current.settings is None and name in SETTING_NAMES:
            continue
        if have.get(name) != value:
            fields.append(FieldChange(name, have.get(name), value))
    capital = current.capital_usd if current.capital_usd is not None else Decimal("0")
    delta = spec.balance_usd - capital if current.settings_error != "no strategy_settings row" else Decimal("0")
    cash = current.cash_usd if current.cash_usd is not None else Decimal("0")
    if delta < 0 and cash + delta < 0:
        problems.append(
            f"strategy {spec.id}: lowering its capital to {spec.balance_usd} would take {-delta} from cash it does"
            f" not have ({cash} left)"
        )
    watched = set(current.leaders)
    follow = tuple(a for a in spec.leaders if a not in watched)
    unfollow = tuple(sorted(watched - set(spec.leaders)))
    if not fields and not follow and not unfollow:
        return None
    return StrategyChange(
        spec.id, "update", spec=spec, fields=tuple(fields), follow=follow, unfollow=unfollow, cash_delta=delta
    )


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)


def render_plan(plan: Plan) -> list[str]:
    """The diff, one line per change: `+` create, `~` update, `-` disable; leaders indented."""
    lines: list[str] = []
    for change in plan.changes:
        if change.action == "create":
            spec = change.spec
            assert spec is not None
            lines.append(
                f"+ create {change.strategy_id} ({spec.display_name}): wallet {spec.wallet},"
                f" {'enabled' if spec.enabled else 'disabled'}, mode {spec.mode.value},"
                f" categories {_text(spec.categories)}, capital {_text(spec.balance_usd)}"
                + ("  (LIVE: real orders)" if change.goes_live else "")
            )
        elif change.action == "disable":
            lines.append(f"- disable {change.strategy_id} (not in the file; --prune)")
        else:
            lines.append(f"~ update {change.strategy_id}")
            for f in change.fields:
                extra = ""
                if f.name == "balance_usd" and change.cash_delta:
                    sign = "+" if change.cash_delta > 0 else "-"
                    extra = f" (cash {sign}{_text(abs(change.cash_delta))})"
                if f.name == "mode" and change.goes_live:
                    extra = "  (LIVE: real orders; the paper cash goes back to the capital)"
                lines.append(f"    {f.name}: {_text(f.old)} → {_text(f.new)}{extra}")
        lines.extend(f"    + leader {a}" for a in change.follow)
        lines.extend(f"    - leader {a}" for a in change.unfollow)
    return lines


__all__ = [
    "FieldChange",
    "Plan",
    "PlanError",
    "StrategyChange",
    "plan_apply",
    "render_plan",
    "spec_values",
    "stored_values",
]
