"""JSON from outside (CLI stdin and files, queue bodies): parsed strictly, refused with one clear line.

Refused, each with a message that never quotes the input:
- a key given twice in one object (which one wins is parser-dependent, so the sender chooses);
- NaN, Infinity and -Infinity, and numbers beyond a float's range (1e309);
- integers longer than `max_int_digits` digits (an expiration of 2^300 is no one's timestamp);
- nesting deeper than `max_depth` (checked before parsing: no RecursionError);
- documents larger than `max_bytes`.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")
_FLOAT_MAX = Decimal(repr(1.7976931348623157e308))


class JsonInputError(ValueError):
    """The document is not acceptable JSON; the message says why in one line, without its content."""


def loads(
    text: str | bytes,
    *,
    max_depth: int = 32,
    max_int_digits: int = 40,
    max_bytes: int = 1_000_000,
    decimal_floats: bool = False,
) -> Any:
    """Parse `text`; numbers with a fraction or exponent become Decimal when `decimal_floats`, else float."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonInputError("Invalid JSON: not UTF-8") from None
    if len(text) > max_bytes:
        raise JsonInputError(f"Invalid JSON: larger than {max_bytes} bytes")
    _check_depth(text, max_depth)

    def parse_int(literal: str) -> int:
        if len(literal.lstrip("-")) > max_int_digits:
            raise JsonInputError(f"Invalid JSON: an integer longer than {max_int_digits} digits")
        return int(literal)

    def parse_float(literal: str) -> Decimal | float:
        try:
            value = Decimal(literal)
        except InvalidOperation:  # pragma: no cover - the scanner only hands over number literals
            raise JsonInputError("Invalid JSON: a malformed number") from None
        if abs(value) > _FLOAT_MAX:
            raise JsonInputError("Invalid JSON: a number beyond the range of a float")
        if decimal_floats:
            return value
        number = float(literal)
        if not math.isfinite(number):  # pragma: no cover - caught by the range check above
            raise JsonInputError("Invalid JSON: a number beyond the range of a float")
        return number

    def parse_constant(literal: str) -> Any:
        raise JsonInputError(f"Invalid JSON: {literal} is not a number")

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                named = f" {key!r}" if _PLAIN_KEY.fullmatch(key) else ""
                raise JsonInputError(f"Invalid JSON: duplicate key{named}")
            out[key] = value
        return out

    try:
        return json.loads(
            text,
            parse_int=parse_int,
            parse_float=parse_float,
            parse_constant=parse_constant,
            object_pairs_hook=unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise JsonInputError("Invalid JSON: nested too deeply") from None


def _check_depth(text: str, max_depth: int) -> None:
    depth = 0
    for match in _STRUCTURE.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonInputError(f"Invalid JSON: nested deeper than {max_depth} levels")
        elif bracket in "]}":
            depth -= 1
