"""tools/invoke.py, tools/sam_overrides.py and samconfig.toml."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.iac.conftest import REPO, load_tool

invoke = load_tool("invoke")
overrides = load_tool("sam_overrides")

HANDLER = """
import helper  # a sibling module: the function folder is first on sys.path, as in Lambda

def lambda_handler(event, context):
    return {"event": event, "remaining_ms": context.get_remaining_time_in_millis(), "helper": helper.VALUE,
            "name": context.function_name, "request": context.aws_request_id}
"""


def test_invoke_runs_a_handler_in_process_with_a_lambda_like_context(tmp_path: Path) -> None:
    function = tmp_path / "wallet_monitor"
    function.mkdir()
    (function / "app.py").write_text(HANDLER)
    (function / "helper.py").write_text("VALUE = 42\n")
    result = invoke.invoke("wallet_monitor", {"offset_s": 30}, functions_dir=tmp_path)
    assert result["event"] == {"offset_s": 30}
    assert result["helper"] == 42
    assert 24_000 < result["remaining_ms"] <= 25_000  # the monitor's timeout in template.yaml
    assert result["name"] == "omegacopy-local-wallet_monitor" and result["request"]


def test_invoke_command_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    function = tmp_path / "reconciler"
    function.mkdir()
    (function / "app.py").write_text("def lambda_handler(event, context):\n    return {'got': event}\n")
    event = tmp_path / "e.json"
    event.write_text('{"scheduled_time": "2026-11-21T15:00:00Z", "offset_s": 0}')
    assert invoke.main(["reconciler", str(event), "--functions-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"got": {"scheduled_time": "2026-11-21T15:00:00Z", "offset_s": 0}}


def test_invoke_timeouts_match_the_template(cfn: dict[str, Any]) -> None:
    by_folder = {
        r["Properties"]["Code"]["S3Key"].removesuffix(".zip"): r["Properties"]["Timeout"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert by_folder == {
        "WalletMonitorFunction": invoke.TIMEOUTS["wallet_monitor"],
        "ExecutorFunction": invoke.TIMEOUTS["executor"],
        "ReconcilerFunction": invoke.TIMEOUTS["reconciler"],
        "IndexerFunction": invoke.TIMEOUTS["indexer"],
        "SettlementFunction": invoke.TIMEOUTS["settlement"],
        "NotifierFunction": invoke.TIMEOUTS["notifier"],
        "DailySummaryFunction": invoke.TIMEOUTS["daily_summary"],
    }


def test_overrides_merge_on_top_of_samconfig() -> None:
    merged = overrides.merged("prod", ["ScheduleState=DISABLED", "AlertEmail=ops@example.com"])
    assert 'Stage="prod"' in merged and 'KillSwitchOnCreate="true"' in merged
    assert 'ScheduleState="DISABLED"' in merged and 'ScheduleState="ENABLED"' not in merged
    assert 'AlertEmail="ops@example.com"' in merged


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_samconfig_environments(env: str, sam: dict[str, Any]) -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    deploy = config[env]["deploy"]["parameters"]
    assert deploy["region"] == "eu-west-1"
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["stack_name"] == f"omegacopy-{env}"
    values = overrides.configured(env)
    assert set(values) <= set(sam["Parameters"]), "override of an unknown parameter"
    assert values["Stage"] == env
    for name, value in values.items():
        allowed = sam["Parameters"][name].get("AllowedValues")
        assert allowed is None or value in [str(v) for v in allowed], (name, value)
    if env == "prod":
        assert deploy["confirm_changeset"] is True
        assert values["KillSwitchOnCreate"] == "true"
