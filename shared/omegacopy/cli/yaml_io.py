"""YAML for `strategies.yaml`: PyYAML's safe loader with two fixes for our values.

- numbers with a fraction load as `Decimal` (money is never a float, not even on the way in);
- `0x…` loads as text: YAML 1.1 reads unquoted hex as an integer, which would turn a pasted wallet
  address into a number.

PyYAML is a dependency of the operator's CLI only (the `cli` extra), never of the Lambda code: it
is imported here, and this module only by the commands that read or write YAML.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from omegacopy.cli.errors import EXIT_BAD_INPUT, CliError


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    pass


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(None, None, f"not a number: {text!r}", node.start_mark) from None


def _int_or_hex_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if text.lstrip("+-").lower().startswith("0x"):
        return text
    return loader.construct_yaml_int(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
_Loader.add_constructor("tag:yaml.org,2002:int", _int_or_hex_text)


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    pass


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value.normalize(), "f")
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(tuple, lambda dumper, value: dumper.represent_list(list(value)))


def load_yaml(text: str, *, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506  # nosec B506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CliError(
            f"{source}:{where}: not valid YAML ({problem})", "fix the file's syntax", code=EXIT_BAD_INPUT
        ) from None


def dump_yaml(data: Any) -> str:
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110))
