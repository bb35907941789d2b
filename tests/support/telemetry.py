"""A `Telemetry` that remembers what a use case reported, for tests to assert on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RecordingTelemetry:
    counts: dict[str, float] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)
    lines: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)

    def count(self, name: str, value: float = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value

    def measure(self, name: str, value: float, unit: str) -> None:
        self.measures[name] = value

    def info(self, message: str, **fields: object) -> None:
        self.lines.append(("info", message, fields))

    def warning(self, message: str, **fields: object) -> None:
        self.lines.append(("warning", message, fields))

    def error(self, message: str, **fields: object) -> None:
        self.lines.append(("error", message, fields))

    def logged(self, level: str) -> list[tuple[str, dict[str, object]]]:
        return [(message, fields) for lvl, message, fields in self.lines if lvl == level]
