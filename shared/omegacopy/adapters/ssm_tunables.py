"""Operator tunables from SSM Parameter Store through Powertools Parameters.

Read every tick with a short max age. Each value is validated alone: an invalid one keeps the last
good value (or, before any was read, the built-in default, whose kill switch is ON) and raises an
alarm metric, so a typo never stops trading or silently loosens a limit.

Fails closed: until one read has succeeded, an unreachable or empty parameter path is
`TunablesUnavailableError` (no orders), never the built-in defaults; after that, the last good
values stay in force while SSM is away. Both raise the `TunablesUnavailable` alarm metric.
"""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.utilities.parameters import SSMProvider

from omegacopy.config import merge_tunables
from omegacopy.domain.models import Tunables
from omegacopy.observability import logger, metrics
from omegacopy.ports import TunablesUnavailableError


class SsmTunables:
    def __init__(self, prefix: str, *, max_age_s: int = 30, ssm_client: Any = None) -> None:
        self._path = f"{prefix.rstrip('/')}/tunables"
        self._max_age_s = max_age_s
        self._provider = SSMProvider(boto3_client=ssm_client) if ssm_client is not None else SSMProvider()
        self._last_good: Tunables | None = None

    def get(self) -> Tunables:
        try:
            raw = cast(
                dict[str, str],
                self._provider.get_multiple(self._path, max_age=self._max_age_s, decrypt=False, recursive=False),
            )
            known = {name: text for name, text in raw.items() if name in Tunables.model_fields}
            if not known:
                raise LookupError("no tunables under the parameter path")
        except Exception as exc:
            return self._unavailable(type(exc).__name__)
        merged, errors = merge_tunables(known, self._last_good or Tunables())
        if errors:
            metrics.add_metric(name="TunableInvalid", unit="Count", value=len(errors))
            logger.error("invalid tunables ignored, last good values kept", extra={"invalid": errors})
        self._last_good = merged
        return merged

    def _unavailable(self, why: str) -> Tunables:
        metrics.add_metric(name="TunablesUnavailable", unit="Count", value=1)
        if self._last_good is None:
            logger.error("tunables unavailable at cold start: no orders until they can be read", extra={"error": why})
            raise TunablesUnavailableError(f"tunables unavailable ({why}): failing closed")
        logger.warning("tunables unavailable, keeping last good values", extra={"error": why})
        return self._last_good
