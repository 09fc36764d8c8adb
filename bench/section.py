"""One benchmark's contribution to BENCHMARKS.md: figures with their aims, how they were measured, what they
expose. The modules that run outside the large tenant (ingest, sync, freshness, tick) each return one."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    name: str  # e.g. "webhook ingest"
    measure: str  # what the value is, e.g. "requests/s (median of 5 runs)"
    value: str  # formatted, e.g. "812 req/s (p95 run 790)"
    aim: str  # e.g. "≥ 500 req/s and ≥ 50 % of bare"
    met: bool | None  # None when the row has no aim of its own


@dataclass
class Section:
    title: str
    rows: list[Row]
    method: list[str] = field(default_factory=list)  # markdown lines: setup, repetitions, baseline, command
    found: list[str] = field(default_factory=list)  # markdown lines: what the numbers expose

    def markdown(self) -> list[str]:
        lines = [f"### {self.title}", "", "| Benchmark | Measure | Value | Aim | Met |", "|---|---|---|---|---|"]
        for r in self.rows:
            met = "-" if r.met is None else ("yes" if r.met else "no")
            lines.append(f"| {r.name} | {r.measure} | {r.value} | {r.aim} | {met} |")
        lines.append("")
        if self.method:
            lines += [*self.method, ""]
        if self.found:
            lines += ["Found:", "", *self.found, ""]
        return lines
