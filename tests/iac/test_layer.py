"""The Lambda layer: one list of pins, the package without the dev stack, and (slow) a real build."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from tools.lambda_layer import build_layer, python312

from tests.iac.conftest import REPO, resources

SHARED = REPO / "shared"


def _requirements() -> list[str]:
    lines = (SHARED / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_layer_requirements_are_pyprojects_runtime_dependencies() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert _requirements() == pyproject["project"]["dependencies"]


def test_layer_is_built_by_the_shared_makefile(sam: dict[str, Any]) -> None:
    (layer,) = resources(sam, "AWS::Serverless::LayerVersion").values()
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["ContentUri"].rstrip("/") == "shared"
    makefile = (SHARED / "Makefile").read_text()
    (name,) = resources(sam, "AWS::Serverless::LayerVersion")
    assert f"\nbuild-{name}:" in makefile
    assert "--requirement requirements.txt" in makefile


def test_layer_package_step_leaves_the_dev_stack_and_the_cli_out(tmp_path: Path) -> None:
    subprocess.run(
        ["make", "-s", "-C", str(SHARED), "layer-package", f"ARTIFACTS_DIR={tmp_path}", f"PYTHON={sys.executable}"],
        check=True,
    )
    package = tmp_path / "python" / "omegacopy"
    shipped = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert {"__init__.py", "wiring/executor.py", "config.py", "app/run_tick.py"} <= shipped
    assert not [p for p in shipped if p.startswith(("devstack", "cli"))]
    assert not list(package.rglob("__pycache__"))
    expected = {
        p.relative_to(SHARED / "omegacopy").as_posix()
        for p in (SHARED / "omegacopy").rglob("*.py")
        if "devstack" not in p.parts and "cli" not in p.parts and "__pycache__" not in p.parts
    }
    assert shipped == expected


@pytest.mark.slow
def test_layer_built_for_this_machine_imports_every_handler_without_dev_packages(tmp_path: Path) -> None:
    """The real build (wheels from the registry) for this CPU, then each handler imported with ONLY
    the layer on sys.path: shipped code must not need the dev stack or a dev-only package."""
    python = python312()
    if python is None:
        pytest.skip("python3.12 (the Lambda runtime's) is not installed")
    site = build_layer(python, tmp_path)
    script = f"""
import importlib.util, sys
sys.path[:0] = [{str(site)!r}]
for name in {sorted(p.parent.name for p in (REPO / "functions").glob("*/app.py"))!r}:
    path = {str(REPO / "functions")!r} + "/" + name + "/app.py"
    spec = importlib.util.spec_from_file_location("handler_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.lambda_handler)
dev_roots = ("chdb", "moto", "pytest")
dev = sorted(m for m in sys.modules if m.split(".")[0] in dev_roots or m.startswith("omegacopy.devstack"))
assert not dev, dev
"""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_DEFAULT_REGION": "eu-west-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }
    # -I -S: no PYTHONPATH, no user or interpreter site-packages: only the stdlib and the layer
    result = subprocess.run(
        [python, "-I", "-S", "-c", script], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
