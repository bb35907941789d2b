"""template.yaml, after the SAM transform: least privilege, queues, schedule, alarms, tunables."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.config import merge_tunables, tunable_pattern, tunable_text
from omegacopy.domain.models import Tunables
from tests.iac.conftest import (
    REPO,
    as_list,
    branches,
    load_tool,
    policy_documents,
    props,
    resources,
    role_statements,
    statements,
)

# Actions whose service has no resource-level permissions: the only ones allowed on "*".
UNSCOPABLE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    # Step Functions' vended log delivery
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    # Lambda's network interfaces in a VPC
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}

# Placeholders that tools/transform_template.py puts in for the state machine's substitutions.
MONITOR_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:MonitorArn"
RECONCILER_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:ReconcilerArn"

# The metrics the alarms read (namespace OmegaCopy, dimension service=omegacopy): the code emits them.
ALARM_METRICS = {
    "RedemptionsFailed",
    "RedemptionsStuck",
    "RedemptionErrors",
    "TickFailed",
    "TickDurationMs",
    "IntentsExecuted",
    "OrdersRejected",
    "ExecutionFailed",
    "SourceErrors",
    "ClobErrors",
    "StrategyDrawdownPct",
    "DailyLossPct",
    "PositionDrawdownPct",
    "UnpricedPositions",
    "BalanceDrifting",
    "OwrrCacheHits",
    "OwrrCacheMisses",
    "KillSwitchEngaged",
    "TunableInvalid",
    "TunablesUnavailable",
    "KeyDecryptFailed",
    "ExchangeHalted",
    "IndexerLagSeconds",
    "IndexerFailed",
    "IndexerErrors",
    "IndexerMetricStalenessSeconds",
    "NotifierUnconfigured",
}

SECRET_NAME = re.compile(r"KEY|SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|PASSPHRASE", re.IGNORECASE)
SECRET_VALUE = re.compile(
    r"://[^/\s:@]+:[^/\s@]+@"  # URL with a password
    r"|(?<![0-9a-fA-F])(0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])"  # private-key-sized hex
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|-----BEGIN"
)


def _strings(node: Any) -> list[str]:
    """Every literal string inside a value (Fn::Sub templates included)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    return []


def _conditions(statement: dict[str, Any]) -> dict[str, Any]:
    """{condition key: value} across all operators."""
    return {key: value for block in statement.get("Condition", {}).values() for key, value in block.items()}


def _function(cfn: dict[str, Any], name: str) -> dict[str, Any]:
    return props(cfn, name)


def _role_of(cfn: dict[str, Any], function: str) -> str:
    role: str = _function(cfn, function)["Role"]["Fn::GetAtt"][0]
    return role


# ------------------------------------------------------------------------------------------------
# IAM and resource policies
# ------------------------------------------------------------------------------------------------
def test_no_policy_grants_a_star_action(cfn: dict[str, Any]) -> None:
    for name, kind, document in policy_documents(cfn):
        for st in statements(document):
            assert "NotAction" not in st, f"{name}: NotAction"
            for action in as_list(st.get("Action", [])):
                assert action != "*" and not action.endswith(":*"), f"{name} ({kind}): {action}"


def test_identity_policies_use_star_resources_only_for_unscopable_actions(cfn: dict[str, Any]) -> None:
    for name, kind, document in policy_documents(cfn):
        if kind != "identity":
            continue
        for st in statements(document):
            assert "NotResource" not in st, f"{name}: NotResource"
            if st["Effect"] == "Allow" and "*" in as_list(st["Resource"]):
                extra = set(as_list(st["Action"])) - UNSCOPABLE_ACTIONS
                assert not extra, f"{name}: {sorted(extra)} on '*' although they can be scoped"


def test_resource_policies_allow_no_anonymous_principal(cfn: dict[str, Any]) -> None:
    for name, kind, document in policy_documents(cfn):
        if kind == "identity":
            continue
        for st in statements(document):
            if st["Effect"] == "Allow":
                principal = st["Principal"]
                assert principal != "*" and principal.get("AWS") != "*", f"{name}: Allow to '*'"


def test_every_function_has_its_own_role(cfn: dict[str, Any]) -> None:
    functions = resources(cfn, "AWS::Lambda::Function")
    roles = [_role_of(cfn, name) for name in functions]
    assert len(set(roles)) == len(roles) == 7
    for role in roles:
        assert props(cfn, role)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "lambda.amazonaws.com"
        }
        for arns in branches(props(cfn, role).get("ManagedPolicyArns", [])):
            for arn in as_list(arns):  # only this template's own policies, no AWS managed ones
                assert isinstance(arn, dict) and arn["Ref"] in cfn["Resources"], f"{role}: {arn}"


def test_every_kms_decrypt_of_the_executor_is_bound_to_an_encryption_context(cfn: dict[str, Any]) -> None:
    role = _role_of(cfn, "ExecutorFunction")
    decrypts = [st for st in role_statements(cfn, role) if "kms:Decrypt" in as_list(st["Action"])]
    assert decrypts
    for st in decrypts:
        assert any(key.startswith("kms:EncryptionContext:") for key in _conditions(st)), st
    wallet = [st for st in decrypts if st["Resource"] == {"Fn::GetAtt": ["WalletKeysKey", "Arn"]}]
    assert len(wallet) == 1
    assert wallet[0]["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"] == "wallet-signing-key"


def test_only_the_signing_functions_can_unwrap_wallet_keys(cfn: dict[str, Any]) -> None:
    """The executor (orders) and settlement (redemptions) sign; nothing else sees a wallet key."""
    executor_role = _role_of(cfn, "ExecutorFunction")
    settlement_role = _role_of(cfn, "SettlementFunction")
    signers = {"ExecutorWalletKeyPolicy": executor_role, "SettlementWalletKeyPolicy": settlement_role}
    for name, kind, document in policy_documents(cfn):
        for st in statements(document):
            touches_wallet_key = "WalletKeysKey" in json.dumps(st.get("Resource", ""))
            if kind == "identity" and touches_wallet_key:
                assert name in signers, name
                assert props(cfn, name)["RoleName"] == {"Ref": signers[name]}
                assert st["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"] == "wallet-signing-key"
    key_policy = [st for st in statements(props(cfn, "WalletKeysKey")["KeyPolicy"]) if st["Effect"] == "Allow"]
    for st in key_policy:
        actions = as_list(st["Action"])
        assert "kms:ReEncrypt*" not in actions and not any(a.startswith("kms:ReEncrypt") for a in actions)
        if "kms:Decrypt" in actions:
            assert st["Principal"]["AWS"] in (
                {"Fn::GetAtt": [executor_role, "Arn"]},
                {"Fn::GetAtt": [settlement_role, "Arn"]},
                {"Ref": "WalletAdminPrincipalArn"},
            )
            assert st["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"] == "wallet-signing-key"
    reconciler_role = _role_of(cfn, "ReconcilerFunction")
    assert not any("WalletKeysKey" in json.dumps(st) for st in role_statements(cfn, reconciler_role))


def test_keys_rotate_and_the_wallet_key_outlives_the_stack(cfn: dict[str, Any]) -> None:
    for name in resources(cfn, "AWS::KMS::Key"):
        assert props(cfn, name)["EnableKeyRotation"] is True
    assert cfn["Resources"]["WalletKeysKey"]["DeletionPolicy"] == "Retain"
    alias = props(cfn, "WalletKeysKeyAlias")
    assert alias["AliasName"] == {"Fn::Sub": "alias/omegacopy-${Stage}-wallets"}


# ------------------------------------------------------------------------------------------------
# Queues
# ------------------------------------------------------------------------------------------------
def _executor_queue(cfn: dict[str, Any]) -> str:
    (mapping,) = resources(cfn, "AWS::Lambda::EventSourceMapping").values()
    queue: str = mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
    return queue


def test_executor_event_source_reports_partial_batch_failures(cfn: dict[str, Any]) -> None:
    (mapping,) = resources(cfn, "AWS::Lambda::EventSourceMapping").values()
    p = mapping["Properties"]
    assert p["FunctionName"] == {"Ref": "ExecutorFunction"}
    assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= p["BatchSize"] <= 10
    assert "MaximumConcurrency" in p["ScalingConfig"]


def test_visibility_timeout_is_at_least_six_executor_timeouts(cfn: dict[str, Any]) -> None:
    queue = props(cfn, _executor_queue(cfn))
    assert queue["VisibilityTimeout"] >= 6 * _function(cfn, "ExecutorFunction")["Timeout"]


def test_execution_queue_is_fifo_with_explicit_dedup_and_a_fifo_dlq(cfn: dict[str, Any]) -> None:
    queue = props(cfn, _executor_queue(cfn))
    assert queue["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is False
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5
    dlq = props(cfn, queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
    assert dlq["FifoQueue"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_queue_is_encrypted_has_a_dlq_and_an_alarm(cfn: dict[str, Any]) -> None:
    queues = resources(cfn, "AWS::SQS::Queue")
    dlqs = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    for schedule in resources(cfn, "AWS::Scheduler::Schedule").values():
        dlqs.add(schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0])
    for subscription in resources(cfn, "AWS::SNS::Subscription").values():
        if "RedrivePolicy" in subscription["Properties"]:
            dlqs.add(subscription["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
    for function in resources(cfn, "AWS::Lambda::Function").values():
        if "DeadLetterConfig" in function["Properties"]:
            dlqs.add(function["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0])
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for alarm in resources(cfn, "AWS::CloudWatch::Alarm").values()
        for d in alarm["Properties"].get("Dimensions", [])
        if d["Name"] == "QueueName"
    }
    for name, queue in queues.items():
        assert "KmsMasterKeyId" in queue["Properties"], f"{name} is not KMS-encrypted"
        assert name in dlqs or "RedrivePolicy" in queue["Properties"], f"{name} has no DLQ"
        assert name in alarmed, f"{name} has no alarm"


# ------------------------------------------------------------------------------------------------
# Functions
# ------------------------------------------------------------------------------------------------
def test_functions_run_python312_on_arm64_with_the_shared_layer(cfn: dict[str, Any]) -> None:
    (layer_name,) = resources(cfn, "AWS::Lambda::LayerVersion")
    assert props(cfn, layer_name)["CompatibleArchitectures"] == ["arm64"]
    for name in resources(cfn, "AWS::Lambda::Function"):
        p = _function(cfn, name)
        assert p["Runtime"] == "python3.12" and p["Architectures"] == ["arm64"], name
        assert {"Ref": layer_name} in p["Layers"], name
        assert p["Handler"] == "app.lambda_handler"


@pytest.mark.parametrize(
    ("function", "required"),
    [
        (
            "WalletMonitorFunction",
            {
                "STAGE",
                "SSM_PREFIX",
                "EXECUTION_QUEUE_URL",
                "DATABASE_SECRET_ARN",
                "CLICKHOUSE_SECRET_ARN",
                "TRADE_SOURCE",
            },
        ),
        (
            "ExecutorFunction",
            {"STAGE", "SSM_PREFIX", "DATABASE_SECRET_ARN", "CLOB_URL", "CHAIN_ID", "CLOB_CREDENTIALS_PREFIX"},
        ),
        (
            "IndexerFunction",
            {
                "STAGE",
                "SSM_PREFIX",
                "DATABASE_SECRET_ARN",
                "CLICKHOUSE_SECRET_ARN",
                "DATA_API_URL",
                "GAMMA_API_URL",
            },
        ),
        (
            "ReconcilerFunction",
            {"STAGE", "SSM_PREFIX", "DATABASE_SECRET_ARN", "CLOB_URL", "CHAIN_ID", "CLOB_CREDENTIALS_PREFIX"},
        ),
        (
            "SettlementFunction",
            {
                "STAGE",
                "SSM_PREFIX",
                "DATABASE_SECRET_ARN",
                "CLICKHOUSE_SECRET_ARN",
                "POLYGON_RPC_SECRET_ARN",
                "CLOB_URL",
                "CHAIN_ID",
                "CLOB_CREDENTIALS_PREFIX",
            },
        ),
        ("NotifierFunction", {"STAGE", "NOTIFY_SECRET_ARN"}),
        ("DailySummaryFunction", {"STAGE", "DATABASE_SECRET_ARN", "NOTIFY_SECRET_ARN"}),
    ],
)
def test_function_environment_matches_its_model(cfn: dict[str, Any], function: str, required: set[str]) -> None:
    variables = _function(cfn, function)["Environment"]["Variables"]
    assert required <= set(variables)
    assert variables["POWERTOOLS_SERVICE_NAME"] == "omegacopy"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "OmegaCopy"
    assert variables["SSM_PREFIX"] == {"Fn::Sub": "/omegacopy/${Stage}"}


def test_no_environment_variable_holds_a_secret(cfn: dict[str, Any]) -> None:
    for name in resources(cfn, "AWS::Lambda::Function"):
        for key, value in _function(cfn, name).get("Environment", {}).get("Variables", {}).items():
            if SECRET_NAME.search(key):
                assert not isinstance(value, str | int), f"{name}.{key} holds a literal"
                assert key.endswith(("_ARN", "_PREFIX")), f"{name}.{key}: secrets travel as references"
            for text in _strings(value):
                assert not SECRET_VALUE.search(text), f"{name}.{key} looks like a secret"


def test_secrets_are_generated_placeholders_never_literal_values(cfn: dict[str, Any]) -> None:
    for name, secret in resources(cfn, "AWS::SecretsManager::Secret").items():
        assert "SecretString" not in secret["Properties"], name
        assert "GenerateSecretString" in secret["Properties"], name
        assert "KmsKeyId" in secret["Properties"], name


def test_every_log_group_has_retention_and_every_function_its_log_group(cfn: dict[str, Any]) -> None:
    groups = resources(cfn, "AWS::Logs::LogGroup")
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"], name
        assert "KmsKeyId" in group["Properties"], name
    for name in resources(cfn, "AWS::Lambda::Function"):
        assert _function(cfn, name)["LoggingConfig"]["LogGroup"]["Ref"] in groups, name
    (machine,) = resources(cfn, "AWS::StepFunctions::StateMachine").values()
    destination = machine["Properties"]["LoggingConfiguration"]["Destinations"][0]
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0] in groups


def test_vpc_is_optional(cfn: dict[str, Any]) -> None:
    for name in resources(cfn, "AWS::Lambda::Function"):
        if name == "NotifierFunction":
            # it reads no private data: outside the VPC, an alarm about the network still goes out
            assert "VpcConfig" not in _function(cfn, name)
            continue
        vpc = _function(cfn, name)["VpcConfig"]
        assert vpc["Fn::If"][0] == "HasVpc" and vpc["Fn::If"][2] == {"Ref": "AWS::NoValue"}, name


# ------------------------------------------------------------------------------------------------
# Tunables
# ------------------------------------------------------------------------------------------------
def _tunables(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """tunable name -> the properties of its SSM parameter."""
    found: dict[str, dict[str, Any]] = {}
    for parameter in resources(cfn, "AWS::SSM::Parameter").values():
        name = parameter["Properties"]["Name"]["Fn::Sub"]
        prefix = "/omegacopy/${Stage}/tunables/"
        if name.startswith(prefix):
            found[name.removeprefix(prefix)] = parameter["Properties"]
    return found


def test_every_tunable_has_an_ssm_parameter(cfn: dict[str, Any]) -> None:
    assert set(_tunables(cfn)) == set(Tunables.model_fields)


@pytest.mark.parametrize("kill_switch_on_create", ["true", "false"])
def test_tunable_values_are_the_model_defaults_and_validate(cfn: dict[str, Any], kill_switch_on_create: str) -> None:
    values = {name: p["Value"] for name, p in _tunables(cfn).items()}
    assert values.pop("kill_switch") == {"Ref": "KillSwitchOnCreate"}
    raw = {**values, "kill_switch": kill_switch_on_create}
    merged, errors = merge_tunables(raw, Tunables())
    assert errors == {}
    assert merged.kill_switch is (kill_switch_on_create == "true")
    defaults = Tunables()
    for field, text in values.items():
        assert text == tunable_text(field, getattr(defaults, field)), field
        assert getattr(merged, field) == getattr(defaults, field), field


def test_tunable_descriptions_and_patterns_come_from_the_model(cfn: dict[str, Any]) -> None:
    for name, parameter in _tunables(cfn).items():
        field = Tunables.model_fields[name]
        assert parameter["Description"] == field.description, name
        assert parameter["AllowedPattern"] == tunable_pattern(name), name


def test_every_tunable_has_bounds_and_its_pattern_refuses_what_the_model_refuses() -> None:
    for name, field in Tunables.model_fields.items():
        pattern = re.compile(tunable_pattern(name))
        if field.annotation in (int, Decimal):
            bounds = {type(m).__name__ for m in field.metadata}
            assert bounds & {"Ge", "Gt"} and "Le" in bounds, f"{name} has no bounds"
        for text in ("", " 1", "-1", "1e3", "NaN", "Infinity", "ture", "1\n"):
            if pattern.fullmatch(text) is not None:
                assert merge_tunables({name: text}, Tunables())[1] == {}, (name, text)


def test_kill_switch_is_engaged_on_a_fresh_stack_by_default(sam: dict[str, Any]) -> None:
    assert sam["Parameters"]["KillSwitchOnCreate"]["Default"] == "true"
    assert Tunables().kill_switch is True  # and without any SSM value at all


# ------------------------------------------------------------------------------------------------
# Schedule
# ------------------------------------------------------------------------------------------------
def test_scheduler_fires_every_minute_without_retries_into_a_dlq(cfn: dict[str, Any]) -> None:
    p = props(cfn, "TickSchedule")
    assert p["ScheduleExpression"] == "rate(1 minute)"
    assert p["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = p["Target"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0
    dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert cfn["Resources"][dlq]["Type"] == "AWS::SQS::Queue"
    assert json.loads(target["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    (machine,) = resources(cfn, "AWS::StepFunctions::StateMachine")
    assert target["Arn"] == {"Ref": machine}


def test_indexer_runs_on_its_own_schedule_one_pass_at_a_time(cfn: dict[str, Any], sam: dict[str, Any]) -> None:
    p = props(cfn, "IndexerSchedule")
    assert p["ScheduleExpression"] == {"Ref": "IndexerRate"}
    assert sam["Parameters"]["IndexerRate"]["Default"] == "rate(5 minutes)"
    assert p["Target"]["Arn"] == {"Fn::GetAtt": ["IndexerFunction", "Arn"]}
    assert p["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    assert p["Target"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["SchedulerDLQ", "Arn"]}
    function = props(cfn, "IndexerFunction")
    budget = Tunables.model_fields["indexer_run_budget_s"].metadata
    assert function["Timeout"] > next(m.le for m in budget if hasattr(m, "le")) + 20  # the pass ends first
    # the indexer reads public APIs and writes ClickHouse: no queue, no wallet key, no CLOB secret
    statements = props(cfn, "IndexerRole")["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {a for st in statements for a in as_list(st["Action"])}
    assert not any(a.startswith(("sqs:", "kms:GenerateDataKey")) for a in actions)
    assert all("clob" not in json.dumps(st.get("Resource", "")) for st in statements)


def _definition(cfn: dict[str, Any]) -> dict[str, Any]:
    (definition,) = load_tool("transform_template").state_machine_definitions(cfn).values()
    return definition  # type: ignore[no-any-return]


def _states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(_states(branch))
    return found


def _invocations(states: dict[str, Any], function_arn: str) -> list[dict[str, Any]]:
    return [
        s["Parameters"]["Payload"]
        for s in states.values()
        if s["Type"] == "Task" and s.get("Parameters", {}).get("FunctionName") == function_arn
    ]


def test_state_machine_is_express_and_ticks_twice_30_s_apart(cfn: dict[str, Any]) -> None:
    (machine,) = resources(cfn, "AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["StateMachineType"] == "EXPRESS"
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    assert substitutions["MonitorArn"] == {"Fn::GetAtt": ["WalletMonitorFunction", "Arn"]}
    states = _states(_definition(cfn))
    monitor = _invocations(states, MONITOR_ARN)
    assert sorted(p["offset_s"] for p in monitor) == [0, 30]
    assert all(p["scheduled_time.$"] == "$.scheduled_time" for p in monitor)
    waits = [s for s in states.values() if s["Type"] == "Wait"]
    assert waits and all(s["Seconds"] == 30 for s in waits)
    # the offset tick waits 30 s from the start of its own branch, not after the first tick
    (parallel,) = [s for s in _definition(cfn)["States"].values() if s["Type"] == "Parallel"]
    offset_branch = next(b for b in parallel["Branches"] if b["States"][b["StartAt"]]["Type"] == "Wait")
    assert any(
        s.get("Parameters", {}).get("Payload", {}).get("offset_s") == 30 for s in offset_branch["States"].values()
    )


def test_reconciler_runs_beside_the_monitor_and_failures_are_contained(cfn: dict[str, Any]) -> None:
    definition = _definition(cfn)
    (parallel,) = [s for s in definition["States"].values() if s["Type"] == "Parallel"]
    for branch in parallel["Branches"]:
        functions = {s["Parameters"]["FunctionName"] for s in branch["States"].values() if s["Type"] == "Task"}
        assert len(functions) == 1, "monitor and reconciler never share a branch"
        for state in branch["States"].values():
            if state["Type"] == "Task":
                assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    states = _states(definition)
    assert sorted(p["offset_s"] for p in _invocations(states, RECONCILER_ARN)) == [0, 30]
    assert any(s["Type"] == "Fail" for s in states.values()), "a failed branch must fail the execution"


def test_scheduler_time_or_execution_start_feeds_the_ticks(cfn: dict[str, Any]) -> None:
    definition = _definition(cfn)
    first = definition["States"][definition["StartAt"]]
    assert first["Type"] == "Choice" and first["Choices"][0]["Variable"] == "$.scheduled_time"
    fallback = definition["States"][first["Default"]]
    assert fallback["Parameters"] == {"scheduled_time.$": "$$.Execution.StartTime"}


# ------------------------------------------------------------------------------------------------
# Alerting
# ------------------------------------------------------------------------------------------------
def _metric_names(alarm: dict[str, Any]) -> list[tuple[str, str, Any]]:
    p = alarm["Properties"]
    if "MetricName" in p:
        return [(p["Namespace"], p["MetricName"], p.get("Dimensions", []))]
    return [
        (
            m["MetricStat"]["Metric"]["Namespace"],
            m["MetricStat"]["Metric"]["MetricName"],
            m["MetricStat"]["Metric"]["Dimensions"],
        )
        for m in p["Metrics"]
        if "MetricStat" in m
    ]


def test_every_alarm_notifies_the_alert_topic(cfn: dict[str, Any]) -> None:
    alarms = resources(cfn, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 18
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertTopic"}], name
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlertTopic"}], name


def test_alarm_metrics_are_the_ones_the_code_emits(cfn: dict[str, Any]) -> None:
    used = set()
    for name, alarm in resources(cfn, "AWS::CloudWatch::Alarm").items():
        for namespace, metric, dimensions in _metric_names(alarm):
            if namespace == "OmegaCopy":
                used.add(metric)
                assert dimensions == [{"Name": "service", "Value": "omegacopy"}], name
    assert used == ALARM_METRICS


# An alarm on a metric nobody emits can never fire: a renamed metric breaks this test.
def test_the_code_emits_every_metric_an_alarm_reads() -> None:
    shipped = [p for p in (REPO / "shared" / "omegacopy").rglob("*.py") if "devstack" not in p.parts]
    source = "\n".join(p.read_text() for p in shipped)
    missing = sorted(name for name in ALARM_METRICS if f'"{name}"' not in source)
    assert missing == []


def test_no_tick_alarm_treats_silence_as_failure(cfn: dict[str, Any]) -> None:
    p = props(cfn, "NoTickAlarm")
    assert (p["MetricName"], p["Statistic"], p["TreatMissingData"]) == ("TickDurationMs", "SampleCount", "breaching")
    assert p["Period"] * p["EvaluationPeriods"] == 180


def test_loss_alarms_treat_silence_as_breaching(cfn: dict[str, Any]) -> None:
    # mark-to-market publishes these every run: no data means it stopped, and that must not read as "fine"
    for name in ("StrategyDrawdownAlarm", "DailyLossAlarm", "UnpricedPositionsAlarm"):
        assert props(cfn, name)["TreatMissingData"] == "breaching", name


def test_failure_rate_alarms_use_metric_math(cfn: dict[str, Any]) -> None:
    rate = props(cfn, "ExecutionFailureRateAlarm")
    (expression,) = [m["Expression"] for m in rate["Metrics"] if "Expression" in m]
    assert "rejected" in expression and "failed" in expression and "executed" in expression
    assert rate["Threshold"] == 25
    miss = props(cfn, "OwrrCacheMissRateAlarm")
    (expression,) = [m["Expression"] for m in miss["Metrics"] if "Expression" in m]
    assert "misses" in expression and "hits" in expression
    assert miss["Threshold"] == 50


def test_every_alarm_has_a_runbook_section(cfn: dict[str, Any]) -> None:
    runbook = (REPO / "docs" / "runbook.md").read_text()
    headings = re.findall(r"^#+ (.*)$", runbook, flags=re.MULTILINE)
    for name, alarm in resources(cfn, "AWS::CloudWatch::Alarm").items():
        match = re.search(r"Runbook - (\w+)", alarm["Properties"]["AlarmDescription"])
        assert match, f"{name}: AlarmDescription names no runbook section"
        section = match.group(1)
        assert any(re.search(rf"\b{section}\b", h) for h in headings), f"docs/runbook.md has no section {section}"


def test_alert_topic_is_encrypted_and_only_cloudwatch_publishes(cfn: dict[str, Any]) -> None:
    assert "KmsMasterKeyId" in props(cfn, "AlertTopic")
    allows = [st for st in statements(props(cfn, "AlertTopicPolicy")["PolicyDocument"]) if st["Effect"] == "Allow"]
    assert [st["Principal"] for st in allows] == [{"Service": "cloudwatch.amazonaws.com"}]


def test_outputs_name_what_the_operator_needs(cfn: dict[str, Any]) -> None:
    assert {
        "ExecutionQueueUrl",
        "ExecutionDLQUrl",
        "SchedulerDLQUrl",
        "TickStateMachineArn",
        "AlertTopicArn",
        "WalletKeysKeyArn",
        "DatabaseSecretArn",
        "ClickHouseSecretArn",
    } <= set(cfn["Outputs"])


# ------------------------------------------------------------------------------------------------
# Notifications: the notifier, the fill topic, the daily summary, AlertEmail in prod
# ------------------------------------------------------------------------------------------------
def _sid(cfn: dict[str, Any], role: str, sid: str) -> dict[str, Any]:
    (statement,) = [st for st in role_statements(cfn, role) if st.get("Sid") == sid]
    return statement


def test_the_notifier_hears_both_topics_and_parks_what_it_could_not_deliver(cfn: dict[str, Any]) -> None:
    subscriptions = {
        sub["Properties"]["TopicArn"]["Ref"]: sub["Properties"]
        for sub in resources(cfn, "AWS::SNS::Subscription").values()
        if sub["Properties"]["Protocol"] == "lambda"
    }
    assert set(subscriptions) == {"AlertTopic", "FillTopic"}
    for topic, sub in subscriptions.items():
        assert sub["Endpoint"] == {"Fn::GetAtt": ["NotifierFunction", "Arn"]}, topic
        assert sub["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["NotifierDLQ", "Arn"]}}, topic
    for function in ("NotifierFunction", "DailySummaryFunction"):
        assert _function(cfn, function)["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": ["NotifierDLQ", "Arn"]}}
        (config,) = [
            c["Properties"]
            for c in resources(cfn, "AWS::Lambda::EventInvokeConfig").values()
            if c["Properties"]["FunctionName"] == {"Ref": function}
        ]
        assert 0 < config["MaximumRetryAttempts"] <= 2
    # SNS may put undelivered notifications on the DLQ, and only from our two topics
    (policy,) = [p["Properties"] for p in resources(cfn, "AWS::SQS::QueuePolicy").values()
                 if p["Properties"]["Queues"] == [{"Ref": "NotifierDLQ"}]]  # fmt: skip
    (allow,) = [st for st in statements(policy["PolicyDocument"]) if st["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == [{"Ref": "AlertTopic"}, {"Ref": "FillTopic"}]
    alarm = props(cfn, "NotifierDLQAlarm")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["NotifierDLQ", "QueueName"]}}]


def test_the_notifier_may_read_its_secret_and_nothing_else(cfn: dict[str, Any]) -> None:
    role = _role_of(cfn, "NotifierFunction")
    actions = {a for st in role_statements(cfn, role) for a in as_list(st["Action"])}
    assert actions == {
        "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
        "secretsmanager:GetSecretValue", "kms:Decrypt", "kms:GenerateDataKey", "sqs:SendMessage",
    }  # fmt: skip
    assert _sid(cfn, role, "ReadTheWebhooksSecret")["Resource"] == {"Ref": "NotifyWebhooksSecret"}
    decrypt = _sid(cfn, role, "DecryptTheWebhooksSecret")
    assert decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:SecretARN"] == {"Ref": "NotifyWebhooksSecret"}
    assert _sid(cfn, role, "DeadLetters")["Resource"] == {"Fn::GetAtt": ["NotifierDLQ", "Arn"]}
    assert "ManagedPolicyArns" not in props(cfn, role)  # no VPC, no network interfaces
    assert _function(cfn, "NotifierFunction")["Environment"]["Variables"]["NOTIFY_SECRET_ARN"] == {
        "Ref": "NotifyWebhooksSecret"
    }


def test_only_the_executor_and_the_reconciler_announce_fills_on_the_encrypted_fill_topic(cfn: dict[str, Any]) -> None:
    assert "KmsMasterKeyId" in props(cfn, "FillTopic")
    publishers = set()
    for name, kind, document in policy_documents(cfn):
        for st in statements(document):
            if kind == "identity" and st["Effect"] == "Allow" and "sns:Publish" in as_list(st["Action"]):
                assert st["Resource"] == {"Ref": "FillTopic"}, name
                publishers.add(name)
    assert publishers == {_role_of(cfn, "ExecutorFunction"), _role_of(cfn, "ReconcilerFunction")}
    for function in ("ExecutorFunction", "ReconcilerFunction"):
        assert _function(cfn, function)["Environment"]["Variables"]["FILL_TOPIC_ARN"] == {"Ref": "FillTopic"}
        encrypt = _sid(cfn, _role_of(cfn, function), "EncryptFillsForTheTopic")
        assert encrypt["Condition"]["StringEquals"]["kms:EncryptionContext:aws:sns:topicArn"] == {"Ref": "FillTopic"}


def test_the_daily_summary_runs_once_a_day_with_retries_into_a_dlq(cfn: dict[str, Any], sam: dict[str, Any]) -> None:
    p = props(cfn, "DailySummarySchedule")
    assert p["ScheduleExpression"] == {"Ref": "DailySummaryScheduleExpression"}
    assert sam["Parameters"]["DailySummaryScheduleExpression"]["Default"] == "cron(0 7 * * ? *)"
    assert p["Target"]["Arn"] == {"Fn::GetAtt": ["DailySummaryFunction", "Arn"]}
    assert p["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert p["Target"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["SchedulerDLQ", "Arn"]}
    role = _role_of(cfn, "DailySummaryFunction")
    assert _sid(cfn, role, "ReadOwnSecrets")["Resource"] == [{"Ref": "DatabaseSecret"}, {"Ref": "NotifyWebhooksSecret"}]
    actions = {a for st in role_statements(cfn, role) for a in as_list(st["Action"])}
    assert not any(a.startswith(("sns:", "ssm:")) for a in actions)  # reads, sends; publishes nothing
    assert not any("clob" in json.dumps(st.get("Resource", "")) for st in role_statements(cfn, role))


def _holds(node: Any, parameters: dict[str, str]) -> bool:
    """The value of a Rules condition built of Fn::Equals / Fn::Not / Ref."""
    if isinstance(node, dict) and "Fn::Not" in node:
        return not _holds(node["Fn::Not"][0], parameters)
    if isinstance(node, dict) and "Fn::Equals" in node:
        left, right = (parameters[v["Ref"]] if isinstance(v, dict) else v for v in node["Fn::Equals"])
        return bool(left == right)
    raise AssertionError(f"unexpected rule expression {node}")


@pytest.mark.parametrize(
    ("stage", "email", "allowed"),
    [("prod", "", False), ("prod", "ops@example.com", True), ("dev", "", True), ("dev", "ops@example.com", True)],
)
def test_alert_email_is_required_in_prod(cfn: dict[str, Any], stage: str, email: str, allowed: bool) -> None:
    rule = cfn["Rules"]["ProdNeedsAlertEmail"]
    parameters = {"Stage": stage, "AlertEmail": email}
    applies = _holds(rule["RuleCondition"], parameters)
    holds = all(_holds(a["Assert"], parameters) for a in rule["Assertions"])
    assert (not applies or holds) is allowed


def test_alert_email_pattern_and_the_prod_config_leave_it_to_the_operator(sam: dict[str, Any]) -> None:
    pattern = re.compile(sam["Parameters"]["AlertEmail"]["AllowedPattern"])
    for good in ("", "ops@example.com", "a.b+alerts@sub.example.org"):
        assert pattern.fullmatch(good), good
    for bad in ("ops", "ops@", "@example.com", "ops@example", "a b@example.com"):
        assert not pattern.fullmatch(bad), bad
    overrides = load_tool("sam_overrides").configured("prod")
    # prod says nothing about AlertEmail: a deploy without OVERRIDES="AlertEmail=…" stops at the rule
    assert "AlertEmail" not in overrides and overrides["Stage"] == "prod"
