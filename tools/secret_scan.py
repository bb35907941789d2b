"""Scan the repository's files for committed key material (stdlib only; `make iac` runs it).

Files: everything git tracks plus untracked files that .gitignore does not exclude, so a key is
caught before its first commit. Rules:

- hex-private-key: `0x` + 64 hex digits, the shape of a secp256k1 private key (also of hashes:
  those belong in tests as computed values, or in ALLOWED with the reason they are public);
- pem-private-key: a PEM private key block;
- aws-access-key-id: an AWS access key id (AKIA/ASIA...);
- credentialed-url: scheme://user:password@host with a real-looking password and host.

Findings print as `path:line: rule: <redacted>` and the exit code is 1. Matches are never printed
in full.

With `--detect-secrets PATH/TO/detect-secrets` the same files also go through Yelp's detect-secrets
(its own tool venv: `make iac-tools`); what it finds must be in `.secrets.baseline` (reviewed false
positives, matched by file and hashed value, so moved lines do not matter). After reviewing new
ones, `--update-baseline` rewrites the baseline.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess  # nosec B404
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MAX_BYTES = 2_000_000
_NEVER_SOURCE = (".venv", ".aws-sam/")

# Public values with the shape of a private key (lowercase). Add one only with its reason.
ALLOWED: dict[str, str] = {
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80": (
        "Hardhat/Anvil test account #0: published in their docs, never holds funds"
    ),
    "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141": "secp256k1 group order n",
    "0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0": "secp256k1 n // 2 (low-s bound)",
    "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1": (
        "a market's condition id in events/notifier_fill.json: market ids are public, never a key"
    ),
}

_HEX_KEY = re.compile(r"(?<![0-9A-Za-z_])0x[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_PEM = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_AWS_KEY_ID = re.compile(r"(?<![0-9A-Z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])")
_URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://([^\s:/@'\"`<>]+):([^\s/@'\"`<>]+)@([^\s/:'\"`<>?#]+)")
_PLACEHOLDER_HOSTS = re.compile(
    r"^(localhost|host|hostname|db|postgres|clickhouse|0\.0\.0\.0|127\.[0-9.]+|\[::1\]|::1"
    r"|[a-z0-9.-]*example(\.[a-z]+)?|[a-z0-9.-]+\.(local|test|invalid|example))$",
    re.IGNORECASE,
)
_PLACEHOLDER_PASSWORDS = re.compile(
    r"^(pass|password|passwd|secret|pw|pwd|xxx+|\*+|changeme|testing|test|postgres|clickhouse|default|dummy)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    redacted: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.redacted}"


def _redact(text: str) -> str:
    return text[:6] + "…" + text[-2:] if len(text) > 10 else "…"


def _url_is_secret(match: re.Match[str]) -> bool:
    _, password, host = match.groups()
    if any(c in password for c in "{}$%<>*"):  # a template or an escaped placeholder
        return False
    return not (_PLACEHOLDER_HOSTS.match(host) or _PLACEHOLDER_PASSWORDS.match(password))


def scan_text(text: str, path: str = "<text>") -> list[Finding]:
    findings: list[Finding] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for m in _HEX_KEY.finditer(line):
            if m.group(0).lower() not in ALLOWED:
                findings.append(Finding(path, number, "hex-private-key", _redact(m.group(0))))
        if _PEM.search(line):
            findings.append(Finding(path, number, "pem-private-key", "-----BEGIN … PRIVATE KEY-----"))
        for m in _AWS_KEY_ID.finditer(line):
            findings.append(Finding(path, number, "aws-access-key-id", _redact(m.group(0))))
        for m in _URL_CREDENTIALS.finditer(line):
            if _url_is_secret(m):
                findings.append(Finding(path, number, "credentialed-url", f"…:{_redact(m.group(2))}@{m.group(3)}"))
    return findings


def repository_files(repo: Path = REPO) -> list[Path]:
    """Tracked files and untracked ones .gitignore does not exclude (that still exist)."""
    # git with a fixed argument list, no shell
    out = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout
    names = sorted({name for name in out.decode().split("\0") if name})
    # tool venvs and build output are never source, even before .gitignore lists them
    return [repo / n for n in names if not n.startswith(_NEVER_SOURCE) and (repo / n).is_file()]


def scan_files(paths: Iterable[Path], repo: Path = REPO) -> Iterator[Finding]:
    for path in paths:
        data = path.read_bytes()
        if len(data) > MAX_BYTES or b"\0" in data[:8192]:  # binary or generated data
            continue
        yield from scan_text(data.decode("utf-8", errors="replace"), str(path.relative_to(repo)))


BASELINE = REPO / ".secrets.baseline"


def _detect_secrets(tool: str, files: list[Path]) -> dict[str, Any]:
    # the executable comes from the Makefile (the scan tool venv); no shell
    out = subprocess.run(  # noqa: S603  # nosec B603
        [tool, "scan", *(str(f.relative_to(REPO)) for f in files)], cwd=REPO, check=True, capture_output=True
    ).stdout
    report: dict[str, Any] = json.loads(out)
    return report


def _keys(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f, s["type"], s["hashed_secret"]) for f, items in report.get("results", {}).items() for s in items}


def detect_secrets_findings(tool: str, files: list[Path], *, update_baseline: bool = False) -> list[str]:
    report = _detect_secrets(tool, [f for f in files if f != BASELINE])  # hashes look like secrets
    if update_baseline:
        BASELINE.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        return []
    known = _keys(json.loads(BASELINE.read_text())) if BASELINE.exists() else set()
    return [
        f"{f}:{s['line_number']}: detect-secrets: {s['type']} (not in .secrets.baseline)"
        for f, items in report.get("results", {}).items()
        for s in items
        if (f, s["type"], s["hashed_secret"]) not in known
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="find committed key material")
    parser.add_argument("paths", nargs="*", type=Path, help="files to scan (default: the repository's files)")
    parser.add_argument("--list", action="store_true", help="print the repository's files (for other scanners)")
    parser.add_argument("--detect-secrets", metavar="EXECUTABLE", help="also run detect-secrets against the baseline")
    parser.add_argument("--update-baseline", action="store_true", help="rewrite .secrets.baseline (after review)")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(str(p.relative_to(REPO)) for p in repository_files()))
        return 0
    paths = [p.resolve() for p in args.paths] if args.paths else repository_files()
    findings: list[object] = list(scan_files(paths))
    if args.detect_secrets:
        findings += detect_secrets_findings(args.detect_secrets, paths, update_baseline=args.update_baseline)
    for finding in findings:
        print(finding)
    print(f"secret scan: {len(paths)} files, {len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
