"""The CLI's surface: --help lists every command, errors are one line with the fix, YAML is exact."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from decimal import Decimal

import pytest

from omegacopy import cli
from omegacopy.cli.errors import CliError, describe, mask_secrets
from omegacopy.cli.yaml_io import dump_yaml, load_yaml
from tests.conftest import REPO


def omegacopy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", *args], capture_output=True, text=True, cwd=REPO, env=env, check=False
    )


def test_help_lists_every_command_with_its_line_and_imports_none() -> None:
    code = (
        "import sys\n"
        "from omegacopy.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith('omegacopy.cli.')))\n"
        "print('HEAVY', [m for m in ('boto3', 'psycopg', 'chdb', 'yaml') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    for name, summary in cli._SUMMARIES.items():
        assert name in out and summary.split()[0] in out
    assert "LOADED []" in out and "HEAVY []" in out


def test_the_help_summaries_are_the_commands_own() -> None:
    assert set(cli._SUMMARIES) == set(cli._GROUPS)
    for name, module_name in cli._GROUPS.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module_name).register(sub)
        registered = {action.dest: action.help for action in sub._choices_actions}
        assert registered[name] == cli._SUMMARIES[name], name


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback() -> None:
    url = "postgresql://user:hunter2@127.0.0.1:1/none"
    plain = omegacopy("db", "migrate", "--url", url)
    debug = omegacopy("db", "migrate", "--url", url, "--debug")
    assert plain.returncode == 1
    (line,) = plain.stderr.strip().splitlines()
    assert line.startswith("omegacopy db migrate: cannot reach PostgreSQL:") and "— fix: check --database-url" in line
    assert "hunter2" not in plain.stderr and "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr


def test_no_database_is_a_usage_error_naming_the_fix() -> None:
    result = omegacopy("strategy", "list", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "omegacopy strategy list: no database given — fix: pass --database-url or set DATABASE_URL (for the stack"
        " `omegacopy run --keep` leaves up: set -a; . <its report folder>/local.env; set +a)"
    )


def test_describe_knows_its_cases() -> None:
    assert describe(CliError("bad", "do this", code=2)).line() == "bad — fix: do this"
    assert (
        describe(FileNotFoundError(2, "No such file", "x.yaml")).line()
        == "file not found: x.yaml — fix: check the path"
    )
    assert (
        describe(ValueError("boom")).line()
        == "unexpected error: ValueError: boom — fix: run it again with --debug for the traceback"
    )
    password = "p@ss"  # an unescaped "@" in a password is still masked whole
    text = f"https://u:{password}@h/x and postgresql://a:{password[-2:]}@c/d and http://default:@h/"
    assert mask_secrets(text) == "https://u:***@h/x and postgresql://a:***@c/d and http://default:@h/"


def test_yaml_keeps_addresses_as_text_and_money_exact() -> None:
    data = load_yaml("a: 0x6C3aa45AC3f6C0BA5485ca040a7f86C65e88f4E4\nb: 0.1\nc: 8\nd: 1_000.50\ne: -0x10\n", source="t")
    assert data == {
        "a": "0x6C3aa45AC3f6C0BA5485ca040a7f86C65e88f4E4",
        "b": Decimal("0.1"),
        "c": 8,
        "d": Decimal("1000.50"),
        "e": "-0x10",
    }
    assert isinstance(data["b"], Decimal)
    assert load_yaml(dump_yaml({"x": Decimal("0.020000"), "y": Decimal("5E+3"), "z": (1, 2)}), source="t") == {
        "x": Decimal("0.02"),
        "y": 5000,
        "z": [1, 2],
    }


def test_bad_yaml_is_one_line_with_the_place() -> None:
    with pytest.raises(CliError) as caught:
        load_yaml("strategies:\n  - id: [unclosed\n", source="s.yaml")
    assert caught.value.message.startswith("s.yaml: line 3") and "not valid YAML" in caught.value.message
