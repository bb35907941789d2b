"""The SSM tunables adapter on moto: fail closed at cold start, last good values after that."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config

from omegacopy.adapters.ssm_tunables import SsmTunables
from omegacopy.devstack.postgres import free_port
from omegacopy.ports import TunablesUnavailableError


def _unreachable_ssm() -> Any:
    return boto3.client(
        "ssm",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )


def test_ssm_unreachable_on_a_fresh_container_fails_closed(moto_server: Any) -> None:
    with pytest.raises(TunablesUnavailableError):
        SsmTunables("/omegacopy/anything", ssm_client=_unreachable_ssm()).get()


def test_after_one_good_read_an_outage_keeps_the_last_good_values(moto_server: Any) -> None:
    prefix = f"/omegacopy/t{uuid.uuid4().hex[:8]}"
    ssm = moto_server.client("ssm")
    ssm.put_parameter(Name=f"{prefix}/tunables/kill_switch", Value="false", Type="String")
    ssm.put_parameter(Name=f"{prefix}/tunables/max_order_usd", Value="250", Type="String")
    tunables = SsmTunables(prefix, max_age_s=0, ssm_client=ssm)
    good = tunables.get()
    assert (good.kill_switch, good.max_order_usd) == (False, Decimal("250"))

    tunables._provider.client = _unreachable_ssm()  # the same container, SSM gone
    assert tunables.get() == good


def test_a_typo_on_a_fresh_container_keeps_the_kill_switch_on(moto_server: Any) -> None:
    prefix = f"/omegacopy/t{uuid.uuid4().hex[:8]}"
    ssm = moto_server.client("ssm")
    ssm.put_parameter(Name=f"{prefix}/tunables/kill_switch", Value="ture", Type="String")
    ssm.put_parameter(Name=f"{prefix}/tunables/iceberg_slice_usd", Value="0.000001", Type="String")

    values = SsmTunables(prefix, max_age_s=0, ssm_client=ssm).get()

    assert values.kill_switch is True
    assert values.iceberg_slice_usd == Decimal("500")
