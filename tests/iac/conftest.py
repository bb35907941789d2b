"""Fixtures for the infrastructure tests: the SAM template, and the CloudFormation it becomes.

The transform is offline (samtranslator, no AWS calls). It needs aws-sam-translator in the dev venv.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SAM_TRANSLATOR_PIN = "aws-sam-translator==1.106.0"


def load_tool(name: str) -> ModuleType:
    """Import tools/<name>.py (tools/ is scripts, not a package)."""
    module_name = f"omegacopy_tools_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, REPO / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sam() -> dict[str, Any]:
    """template.yaml as parsed by SAM (intrinsics as {"Ref": ...} dicts)."""
    if importlib.util.find_spec("samtranslator") is None:
        pytest.fail(f"tests/iac need {SAM_TRANSLATOR_PIN} in the dev dependencies (pyproject.toml)")
    parsed: dict[str, Any] = load_tool("transform_template").load_sam()
    return parsed


@pytest.fixture(scope="session")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    """The plain CloudFormation template SAM deploys."""
    transformed: dict[str, Any] = load_tool("transform_template").transform(sam)
    return transformed


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_}


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][name].get("Properties", {})
    return properties


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def branches(node: Any) -> Iterator[Any]:
    """Both sides of an Fn::If (minus AWS::NoValue); anything else as is."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        _, when_true, when_false = node["Fn::If"]
        yield from branches(when_true)
        yield from branches(when_false)
    elif node != {"Ref": "AWS::NoValue"}:
        yield node


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(resource, kind, document) for every policy: kind is identity, trust or resource."""
    for name, r in template["Resources"].items():
        p = r.get("Properties", {})
        match r["Type"]:
            case "AWS::IAM::Role":
                yield name, "trust", p["AssumeRolePolicyDocument"]
                for policy in p.get("Policies", []):
                    for branch in branches(policy):
                        yield name, "identity", branch["PolicyDocument"]
            case "AWS::IAM::RolePolicy" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy":
                yield name, "identity", p["PolicyDocument"]
            case "AWS::KMS::Key":
                yield name, "resource", p["KeyPolicy"]
            case "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy":
                yield name, "resource", p["PolicyDocument"]


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for statement in as_list(document["Statement"]):
        yield from branches(statement)


def role_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every identity statement that applies to `role`: inline, and attached policy resources."""
    found: list[dict[str, Any]] = []
    role_ref = {"Ref": role}
    for name, r in template["Resources"].items():
        p = r.get("Properties", {})
        if name == role:
            for policy in p.get("Policies", []):
                for branch in branches(policy):
                    found.extend(statements(branch["PolicyDocument"]))
            for arns in branches(p.get("ManagedPolicyArns", [])):
                for arn in as_list(arns):
                    if isinstance(arn, dict) and arn.get("Ref") in template["Resources"]:
                        found.extend(statements(props(template, arn["Ref"])["PolicyDocument"]))
        else:
            attached = (r["Type"] == "AWS::IAM::RolePolicy" and p.get("RoleName") == role_ref) or (
                r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and role_ref in p.get("Roles", [])
            )
            if attached:
                found.extend(statements(p["PolicyDocument"]))
    return found
