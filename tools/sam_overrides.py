"""Print samconfig.toml's parameter overrides for an environment with KEY=VALUE changes on top.

`sam deploy --parameter-overrides` replaces the config file's list instead of merging with it, so
`make deploy ENV=prod OVERRIDES="ScheduleState=DISABLED"` goes through here:

    python tools/sam_overrides.py prod ScheduleState=DISABLED
    -> Stage="prod" LogLevel="INFO" ... ScheduleState="DISABLED"
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path

SAMCONFIG = Path(__file__).resolve().parents[1] / "samconfig.toml"


def configured(env: str, path: Path = SAMCONFIG) -> dict[str, str]:
    config = tomllib.loads(path.read_text())
    raw = config.get(env, {}).get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    tokens = raw if isinstance(raw, list) else shlex.split(raw)
    return dict(_pair(token) for token in tokens)


def _pair(token: str) -> tuple[str, str]:
    key, sep, value = token.partition("=")
    if not sep or not key:
        raise SystemExit(f"not KEY=VALUE: {token!r}")
    return key, value


def merged(env: str, changes: list[str], path: Path = SAMCONFIG) -> str:
    values = configured(env, path) | dict(_pair(change) for change in changes)
    return " ".join(f'{key}="{value}"' for key, value in values.items())


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(merged(argv[0], argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
