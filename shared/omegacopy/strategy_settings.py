"""A strategy's settings: the one validation model behind the CLI, `strategies.yaml` and the monitor.

`StrategySettings` is what `strategy_settings` holds; `StrategySpec` adds what a strategy is (id,
name, follower wallet, enabled, leaders) and is one entry of `strategies.yaml`. The monitor's
loader validates every stored row through `StrategySettings` too, so a row written by hand that the
CLI would refuse is skipped (logged, counted) instead of trading on surprising values.

Rules that remove the traps of hand-written SQL:
- `categories` must name at least one category, or be `all` (every category). An empty list used
  to mean "copy nothing" without a word; it is refused. Names are matched case-insensitively and
  stored lower-case.
- leader addresses are accepted in any case (EIP-55 checksummed pastes included) and stored
  lower-case.
- `mode` is `paper` unless said otherwise: a new strategy fills on paper against the live book
  until the operator switches it to `live` (which asks for confirmation).
- `enabled` is always written explicitly (`true` unless said otherwise); a disabled or paused
  strategy is invisible to the monitor, and the CLI shows which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from omegacopy.domain.models import Confidence, ConsensusMode, OrderStyle, SizingMode, StrategyConfig, TradingMode

ALL_CATEGORIES: Final = "all"
_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
_CONDITION_ID = re.compile(r"^0x[0-9a-f]{64}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9 &/_.-]{0,63}$")
STRATEGY_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
WALLET_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$"


def _no_bool(value: Any) -> Any:
    # `true` is not a number: pydantic would read it as 1
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


# Decimals at the column's scale: a value with more decimals would be rounded by PostgreSQL, and the
# next `apply` would see a difference that is not there.
_Usd = Annotated[Decimal, BeforeValidator(_no_bool), Field(max_digits=20, decimal_places=6, allow_inf_nan=False)]
_Pct = Annotated[Decimal, BeforeValidator(_no_bool), Field(max_digits=9, decimal_places=4, allow_inf_nan=False)]
_Int = Annotated[int, BeforeValidator(_no_bool)]


def normalize_address(value: Any) -> str:
    """A wallet address in any case (checksummed or not) → lower-case `0x` + 40 hex digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("an address must be quoted text (unquoted 0x… reads as a number)")
    if not isinstance(value, str):
        raise ValueError("an address must be text: 0x followed by 40 hex digits")
    text = value.strip().lower()
    if not _ADDRESS.fullmatch(text):
        raise ValueError(f"not an address (0x followed by 40 hex digits): {value.strip()[:60]!r}")
    return text


def check_strategy_id(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(STRATEGY_ID_PATTERN, value.strip()):
        raise ValueError("a strategy id is 1-64 letters, digits, '_', '.', '-', starting with a letter or digit")
    return value.strip()


def _listed(value: Any) -> Any:
    """A comma-separated string (the CLI's form) is a list too."""
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    return value


class StrategySettings(BaseModel):
    """The `strategy_settings` row of one strategy: limits, sizing and the copy filters."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    balance_usd: Annotated[_Usd, Field(ge=0, le=10**12)]
    max_position_size_usd: Annotated[_Usd, Field(gt=0, le=10**12)]
    max_positions: Annotated[_Int, Field(ge=0, le=100_000)]
    risk_per_trade_percent: Annotated[_Pct, Field(ge=0, le=100)] = Decimal("0")
    # a sorted tuple of lower-case names, or "all"
    categories: tuple[str, ...] | Literal["all"]
    owrr_threshold_yes: Annotated[_Int, Field(ge=0, le=100)] = 60
    owrr_threshold_no: Annotated[_Int, Field(ge=0, le=100)] = 40
    min_owrr_confidence: Confidence = Confidence.MEDIUM
    markets_filter: tuple[str, ...] = ()
    # `off`: plain copying, no OWRR gate (thresholds and confidence are then unused)
    consensus: ConsensusMode = ConsensusMode.OWRR
    # `owrr` (the name before `owrr_scaled`) is still read, as `owrr_scaled`
    sizing_mode: SizingMode = SizingMode.OWRR_SCALED
    fixed_size_usd: Annotated[_Usd, Field(ge=0, le=10**12)] = Decimal("0")
    proportional_fraction: Annotated[_Usd, Field(ge=0, le=999)] = Decimal("0")
    # sizing `kelly`: the share of full Kelly staked (0.25 = quarter Kelly), never more than full
    kelly_fraction: Annotated[
        Decimal, BeforeValidator(_no_bool), Field(ge=0, le=1, max_digits=9, decimal_places=6, allow_inf_nan=False)
    ] = Decimal("0")
    slippage_ceiling: Annotated[_Usd, Field(ge=0, lt=1)] = Decimal("0.02")
    order_style: OrderStyle = OrderStyle.FAK
    # stop-loss / take-profit: % of a position's average entry price; None = off
    stop_loss_pct: Annotated[_Pct, Field(gt=0, lt=100)] | None = None
    take_profit_pct: Annotated[_Pct, Field(gt=0, le=99_999)] | None = None
    # `paper`: filled against the live book by the fill model, never signed or posted
    mode: TradingMode = TradingMode.PAPER

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> Any:
        value = _listed(value)
        if isinstance(value, list | tuple | set | frozenset):
            names = sorted({str(v).strip().lower() for v in value if str(v).strip()})
            if names == [ALL_CATEGORIES]:
                return ALL_CATEGORIES
            if ALL_CATEGORIES in names:
                raise ValueError("'all' cannot be combined with named categories")
            if not names:
                raise ValueError(
                    "must name at least one category, or be 'all' for every category (an empty list would copy nothing)"
                )
            bad = [n for n in names if not _CATEGORY.fullmatch(n)]
            if bad:
                raise ValueError(f"not a category name: {bad[0]!r}")
            return tuple(names)
        if value is None:
            raise ValueError("required: a list of categories, or 'all'")
        return value

    @field_validator("consensus", mode="before")
    @classmethod
    def _consensus(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted `off` (or `no`, `false`) as false: that is what it means here;
        # and true (`on`, `yes`) is the gate
        if isinstance(value, bool):
            return ConsensusMode.OWRR if value else ConsensusMode.OFF
        return value

    @field_validator("markets_filter", mode="before")
    @classmethod
    def _markets(cls, value: Any) -> Any:
        value = _listed(value)
        if value is None:
            return ()
        if not isinstance(value, list | tuple | set | frozenset):
            raise ValueError("must be a list of condition ids")
        ids = sorted({str(v).strip().lower() for v in value if str(v).strip()})
        bad = [i for i in ids if not _CONDITION_ID.fullmatch(i)]
        if bad:
            raise ValueError(f"not a condition id (0x followed by 64 hex digits): {bad[0][:80]!r}")
        return tuple(ids)

    @field_validator("stop_loss_pct", "take_profit_pct", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "none", "off", "null"):
            return None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.owrr_threshold_no > self.owrr_threshold_yes:
            raise ValueError(
                f"owrr_threshold_no ({self.owrr_threshold_no}) must not exceed owrr_threshold_yes"
                f" ({self.owrr_threshold_yes})"
            )
        if self.sizing_mode is SizingMode.FIXED and self.fixed_size_usd <= 0:
            raise ValueError("sizing_mode fixed needs fixed_size_usd > 0")
        if self.sizing_mode is SizingMode.PROPORTIONAL and self.proportional_fraction <= 0:
            raise ValueError("sizing_mode proportional needs proportional_fraction > 0")
        if self.sizing_mode is SizingMode.OWRR_SCALED and self.risk_per_trade_percent <= 0:
            raise ValueError("sizing_mode owrr_scaled needs risk_per_trade_percent > 0")
        if self.sizing_mode is SizingMode.KELLY and self.kelly_fraction <= 0:
            raise ValueError("sizing_mode kelly needs kelly_fraction > 0 (0.25 = quarter Kelly)")
        return self

    @property
    def all_categories(self) -> bool:
        return self.categories == ALL_CATEGORIES

    def to_config(self, *, strategy_id: str, name: str, wallet_id: str) -> StrategyConfig:
        return StrategyConfig(
            strategy_id=strategy_id,
            name=name,
            follower_wallet_id=wallet_id,
            balance_usd=self.balance_usd,
            max_position_size_usd=self.max_position_size_usd,
            max_positions=self.max_positions,
            risk_per_trade_percent=self.risk_per_trade_percent,
            categories=frozenset(() if self.categories == ALL_CATEGORIES else self.categories),
            all_categories=self.all_categories,
            owrr_threshold_yes=self.owrr_threshold_yes,
            owrr_threshold_no=self.owrr_threshold_no,
            min_owrr_confidence=self.min_owrr_confidence,
            markets_filter=frozenset(self.markets_filter),
            sizing_mode=self.sizing_mode,
            fixed_size_usd=self.fixed_size_usd,
            proportional_fraction=self.proportional_fraction,
            slippage_ceiling=self.slippage_ceiling,
            order_style=self.order_style,
            consensus=self.consensus,
            kelly_fraction=self.kelly_fraction,
            paper=self.mode is TradingMode.PAPER,
        )

    def to_row(self) -> dict[str, Any]:
        """The `strategy_settings` columns (`categories` as a list plus the `all_categories` flag)."""
        row = self.model_dump()
        row["all_categories"] = self.all_categories
        row["categories"] = [] if self.all_categories else list(self.categories)
        row["markets_filter"] = list(self.markets_filter)
        row["min_owrr_confidence"] = self.min_owrr_confidence.value
        row["sizing_mode"] = self.sizing_mode.value
        row["consensus"] = self.consensus.value
        row["order_style"] = self.order_style.value
        row["mode"] = self.mode.value
        return row

    def settings_values(self) -> dict[str, Any]:
        """Field → value as shown and compared (enums as text, categories as 'all' or a list)."""
        values = self.model_dump(mode="python")
        for name, value in values.items():
            if isinstance(value, Confidence | SizingMode | ConsensusMode | OrderStyle | TradingMode):
                values[name] = value.value
        return values


SETTING_NAMES: Final = tuple(StrategySettings.model_fields)


def settings_input_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored `strategy_settings` row → the model's input (before validation)."""
    values = {name: row[name] for name in SETTING_NAMES if name in row}
    if row.get("all_categories"):
        values["categories"] = ALL_CATEGORIES
    elif values.get("categories") is None:
        values["categories"] = []
    return values


def settings_from_row(row: Mapping[str, Any]) -> StrategySettings:
    """Validates a stored row; raises `ValidationError` as the CLI would for the same values.

    The monitor loads every strategy every tick and the rows rarely change: a row already
    validated is not validated again (the model is frozen, so sharing it is safe). A row that
    fails is not remembered, so it is reported again each tick.
    """
    values = settings_input_from_row(row)
    key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(values.items()))
    try:
        return _validated(key)
    except TypeError:  # an unhashable value (a hand-written oddity): validate without the cache
        return StrategySettings.model_validate(values)


@lru_cache(maxsize=4096)
def _validated(key: tuple[tuple[str, Any], ...]) -> StrategySettings:
    return StrategySettings.model_validate(dict(key))


class StrategySpec(StrategySettings):
    """One strategy as `strategies.yaml` and `omegacopy strategy create` describe it."""

    id: str
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    wallet: str
    enabled: bool = True
    leaders: tuple[str, ...] = ()

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> Any:
        return check_strategy_id(value)

    @field_validator("wallet", mode="before")
    @classmethod
    def _wallet(cls, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(WALLET_ID_PATTERN, value.strip()):
            raise ValueError(
                "a wallet id: letters, digits, '_', '.', '@', '-' (the id given to `omegacopy wallet import`)"
            )
        return value.strip()

    @field_validator("leaders", mode="before")
    @classmethod
    def _leaders(cls, value: Any) -> Any:
        value = _listed(value)
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of wallet addresses")
        seen: dict[str, None] = {}
        for item in value:
            seen.setdefault(normalize_address(item), None)
        return tuple(seen)

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def settings(self) -> StrategySettings:
        return StrategySettings.model_validate({name: getattr(self, name) for name in SETTING_NAMES})


class StrategiesFile(BaseModel):
    """`strategies.yaml`: the strategies it names, as they should be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategies: tuple[StrategySpec, ...]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for spec in self.strategies:
            if spec.id in seen:
                raise ValueError(f"strategy {spec.id!r} appears twice")
            seen.add(spec.id)
        return self


@dataclass(frozen=True, slots=True)
class StoredStrategy:
    """A strategy as PostgreSQL holds it. `settings` is None when its row does not validate
    (`settings_error` says why) or is missing.

    Money: `capital_usd` is what the strategy was given (`starting_balance_usd`, the base of its
    drawdown); `cash_usd` is its cash now (`balance_usd`, moved by every fill). `balance_usd` in a
    spec is the capital: at creation it is the cash too, later a change adds the difference to the
    cash (a top-up or a withdrawal) and never overwrites what trading did.
    """

    strategy_id: str
    name: str
    wallet_id: str
    enabled: bool
    paused_reason: str | None
    settings: StrategySettings | None
    settings_error: str | None
    leaders: tuple[str, ...]
    cash_usd: Decimal | None = None
    capital_usd: Decimal | None = None
    raw_settings: Mapping[str, Any] | None = None
    created_at: datetime | None = None

    @property
    def state(self) -> str:
        """What the monitor does with it: active, paused (why), disabled, or skipped as invalid."""
        if self.settings is None:
            return f"invalid: {self.settings_error}"
        if not self.enabled:
            return "disabled"
        if self.paused_reason is not None:
            return f"paused: {self.paused_reason}"
        return "active"


def describe_errors(exc: ValidationError, *, limit: int = 3) -> str:
    """A pydantic error as one line: `field: message; field: message`."""
    parts: list[str] = []
    for error in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


__all__ = [
    "ALL_CATEGORIES",
    "SETTING_NAMES",
    "STRATEGY_ID_PATTERN",
    "WALLET_ID_PATTERN",
    "StoredStrategy",
    "StrategiesFile",
    "StrategySettings",
    "StrategySpec",
    "check_strategy_id",
    "describe_errors",
    "normalize_address",
    "settings_from_row",
    "settings_input_from_row",
]
