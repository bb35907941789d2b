"""The handlers' tracer is built at the first invocation, once per container, and the handler runs
under it unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from omegacopy.observability import capture_lambda_handler, tracer


def test_the_tracer_is_built_at_the_first_invocation_and_only_once() -> None:
    tracer.cache_clear()
    seen: list[Any] = []

    @capture_lambda_handler
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        seen.append(event)
        return {"answer": event["n"] * 2}

    assert tracer.cache_info().currsize == 0  # decorating builds nothing
    assert handler({"n": 1}, object()) == {"answer": 2}
    built = tracer()
    assert handler({"n": 2}, object()) == {"answer": 4}
    assert tracer() is built
    assert seen == [{"n": 1}, {"n": 2}]
    assert handler.__name__ == "handler"


def test_a_failing_handler_fails_through_the_tracer() -> None:
    @capture_lambda_handler
    def handler(event: dict[str, Any], context: object) -> None:
        raise ValueError("no such intent")

    with pytest.raises(ValueError, match="no such intent"):
        handler({}, object())
