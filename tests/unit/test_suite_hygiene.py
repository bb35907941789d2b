"""The suite stays honest on a busy machine: every property test has a deadline policy and uses
`assume` rather than returning early, and no test asserts on wall-clock time (speed is measured by
`make bench`, never asserted)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
_CLOCKS = {"perf_counter", "monotonic", "perf_counter_ns", "monotonic_ns", "median"}


def _test_functions() -> Iterator[tuple[Path, ast.FunctionDef]]:
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                yield path, node


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""


def _own_nodes(fn: ast.FunctionDef) -> Iterator[ast.AST]:
    """The nodes of `fn`'s body, not those of functions nested in it."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.FunctionDef | ast.Lambda))


def test_every_property_test_has_a_deadline_policy_and_no_early_return() -> None:
    problems = []
    for path, fn in _test_functions():
        names = {_decorator_name(d) for d in fn.decorator_list}
        if "given" not in names:
            continue
        where = f"{path.relative_to(TESTS)}::{fn.name}"
        settings = [d for d in fn.decorator_list if isinstance(d, ast.Call) and _decorator_name(d) == "settings"]
        if not any(k.arg == "deadline" for s in settings for k in s.keywords):
            problems.append(f"{where}: no @settings(deadline=...)")
        if any(isinstance(n, ast.Return) for n in _own_nodes(fn)):
            problems.append(f"{where}: returns early (use assume, or if/else)")
    assert problems == []


def _wall_clock_call(node: ast.Call) -> str:
    """The clock a call reads, if it is the machine's (`time.monotonic()`, a bare `perf_counter()`,
    `statistics.median(...)`); a fake clock's method (`timer.monotonic()`) is not wall-clock time."""
    f = node.func
    if isinstance(f, ast.Name):
        return f.id if f.id in _CLOCKS else ""
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("time", "statistics"):
        return f.attr if f.attr in _CLOCKS else ""
    return ""


def test_no_test_asserts_on_wall_clock_time() -> None:
    problems = []
    for path, fn in _test_functions():
        for node in _own_nodes(fn):
            if not isinstance(node, ast.Assert):
                continue
            calls = {_wall_clock_call(c) for c in ast.walk(node.test) if isinstance(c, ast.Call)} - {""}
            if calls & _CLOCKS:
                problems.append(f"{path.relative_to(TESTS)}:{node.lineno} asserts on {sorted(calls & _CLOCKS)}")
    assert problems == []


def test_a_deprecation_in_our_own_code_is_an_error() -> None:
    import warnings

    import pytest

    with pytest.raises(DeprecationWarning):
        warnings.warn("deprecated in our code", DeprecationWarning, stacklevel=1)
