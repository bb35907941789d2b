"""Operator tunables from SSM Parameter Store through Powertools Parameters.

Read every tick with a short max age. Each value is validated alone: an invalid one keeps the last
good value (or the safe default) and raises an alarm metric, so a typo never stops trading or
silently loosens a limit.
"""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.utilities.parameters import SSMProvider

from omegacopy.config import TunablesModel, merge_tunables
from omegacopy.domain.models import Tunables
from omegacopy.observability import logger, metrics


class SsmTunables:
    def __init__(self, prefix: str, *, max_age_s: int = 30, ssm_client: Any = None) -> None:
        self._path = f"{prefix.rstrip('/')}/tunables"
        self._max_age_s = max_age_s
        self._provider = SSMProvider(boto3_client=ssm_client) if ssm_client is not None else SSMProvider()
        self._last_good = TunablesModel()

    def get(self) -> Tunables:
        try:
            raw = cast(
                dict[str, str],
                self._provider.get_multiple(self._path, max_age=self._max_age_s, decrypt=False, recursive=False),
            )
        except Exception as exc:
            # SSM unreachable: keep trading on the last good values, loudly.
            metrics.add_metric(name="TunablesUnavailable", unit="Count", value=1)
            logger.warning("tunables unavailable, keeping last good values", extra={"error": type(exc).__name__})
            return self._last_good.to_domain()
        merged, errors = merge_tunables(raw, self._last_good)
        if errors:
            metrics.add_metric(name="TunableInvalid", unit="Count", value=len(errors))
            logger.error("invalid tunables ignored, last good values kept", extra={"invalid": errors})
        self._last_good = merged
        return merged.to_domain()
