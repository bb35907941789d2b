"""Turn the SAM template into plain CloudFormation offline (no AWS calls, no credentials).

checkov only sees the IAM roles, event source mappings and state machines that SAM generates after
the transform, and tests/iac asserts on the same output. Local code paths (CodeUri/ContentUri) are
replaced by placeholder S3 URIs first, as `sam validate` does.

    python tools/transform_template.py [template.yaml] [-o out.json] [-p Key=Value ...] [--asl-dir DIR]

--asl-dir also writes each state machine's definition (Amazon States Language) to DIR/<Name>.asl.json,
with its ${...} substitutions replaced by placeholder ARNs, for asl-validator.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform as sam_transform
from samtranslator.yaml_helper import yaml_parse

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
# Parameter defaults that make a complete offline transform; the region only names ARNs.
OFFLINE_PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
_LOCAL_URIS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


class _OfflinePolicyLoader:
    """The template gives every function its own role, so SAM never needs AWS managed policy ARNs."""

    def load(self) -> dict[str, str]:
        return {}


def load_sam(path: Path = TEMPLATE) -> dict[str, Any]:
    """The SAM template as CloudFormation-style dicts (!Ref -> {"Ref": ...})."""
    parsed: dict[str, Any] = yaml_parse(path.read_text())
    return parsed


def _with_s3_placeholders(sam: dict[str, Any]) -> dict[str, Any]:
    sam = copy.deepcopy(sam)
    for name, resource in sam.get("Resources", {}).items():
        prop = _LOCAL_URIS.get(resource.get("Type", ""))
        props = resource.get("Properties", {})
        if prop and isinstance(props.get(prop), str) and not props[prop].startswith("s3://"):
            props[prop] = f"s3://offline-transform/{name}.zip"
    return sam


def transform(sam: Mapping[str, Any], parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template SAM would deploy (conditions are kept, not evaluated)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", OFFLINE_PSEUDO["AWS::Region"])
    values: dict[str, Any] = {**OFFLINE_PSEUDO, **(parameters or {})}
    loader: Any = _OfflinePolicyLoader()  # duck-typed: samtranslator only calls .load()
    result: dict[str, Any] = sam_transform(_with_s3_placeholders(dict(sam)), values, loader)
    return result


def state_machine_definitions(cfn: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{logical id: definition} with DefinitionSubstitutions replaced by placeholder ARNs."""
    found: dict[str, dict[str, Any]] = {}
    for name, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        props = resource["Properties"]
        separator, lines = props["DefinitionString"]["Fn::Join"]
        text = separator.join(lines)
        for key in props.get("DefinitionSubstitutions", {}):
            region, account = OFFLINE_PSEUDO["AWS::Region"], OFFLINE_PSEUDO["AWS::AccountId"]
            text = text.replace("${" + key + "}", f"arn:aws:lambda:{region}:{account}:function:{key}")
        found[name] = json.loads(text)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", type=Path, default=TEMPLATE)
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--asl-dir", type=Path, help="also write the state machine definitions here")
    args = parser.parse_args(argv)
    parameters = dict(item.split("=", 1) for item in args.parameter)
    cfn = transform(load_sam(args.template), parameters)
    if args.asl_dir:
        args.asl_dir.mkdir(parents=True, exist_ok=True)
        for name, definition in state_machine_definitions(cfn).items():
            (args.asl_dir / f"{name}.asl.json").write_text(json.dumps(definition, indent=2) + "\n")
    text = json.dumps(cfn, indent=2, sort_keys=True)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
