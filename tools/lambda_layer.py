"""The Lambda layer built for this machine: the runtime's interpreter (python3.12) and the layer's
site folder, as Lambda puts it on sys.path (/opt/python). Used by the layer's slow test and by the
cold-import benchmark."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / "shared"


def python312() -> str | None:
    """The Lambda runtime's interpreter: pyenv's 3.12 first (its shims refuse when 3.12 is not the
    active version), then PATH; the first one that actually runs."""
    candidates: list[str] = []
    try:
        root = subprocess.run(["pyenv", "root"], check=True, capture_output=True, text=True).stdout.strip()
        candidates += [str(p) for p in sorted(Path(root).glob("versions/3.12.*/bin/python3.12"), reverse=True)]
    except (OSError, subprocess.CalledProcessError):
        pass
    candidates += [found] if (found := shutil.which("python3.12")) else []
    for candidate in candidates:
        probe = subprocess.run([candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"], check=False)
        if probe.returncode == 0:
            return candidate
    return None


def machine_arch() -> str:
    return {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[os.uname().machine]


def build_layer(python: str, artifacts: Path) -> Path:
    """`sam build`'s step for the layer (shared/Makefile), for this machine's CPU; returns its site
    folder (what Lambda mounts at /opt/python)."""
    subprocess.run(
        ["make", "-s", "-C", str(SHARED), "build-SharedLayer", f"ARTIFACTS_DIR={artifacts}", f"PYTHON={python}",
         f"LAYER_ARCH={machine_arch()}"],
        check=True,
        timeout=600,
    )  # fmt: skip
    return artifacts / "python"


def cached_layer(python: str, cache: Path) -> Path:
    """The layer for the current sources: third-party wheels kept while requirements.txt is
    unchanged (they come from the registry), the omegacopy package copied and compiled afresh."""
    key = hashlib.sha256((SHARED / "requirements.txt").read_bytes()).hexdigest()[:16]
    artifacts = cache / key
    site = artifacts / "python"
    if not (artifacts / ".complete").exists():
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.mkdir(parents=True)
        build_layer(python, artifacts)
        (artifacts / ".complete").touch()
    else:
        shutil.rmtree(site / "omegacopy", ignore_errors=True)
        subprocess.run(
            ["make", "-s", "-C", str(SHARED), "layer-package", f"ARTIFACTS_DIR={artifacts}", f"PYTHON={python}"],
            check=True,
        )
        subprocess.run(
            [python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(site / "omegacopy")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return site
