"""bench/REPORT.md from bench.run's measurements: ratios to the same-round ceiling, spreads,
the targets below (throughput as a ratio to the ceiling, p99 at one connection) checked per
scenario, and the hand-written analysis kept in bench/ANALYSIS.md (profiles, plans) appended
as is."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench import seed

ROOT = Path(__file__).resolve().parents[1]
# The throughput target for each kind of scenario, as a ratio to the ceiling.
RATIO_TARGET = {"read": 0.20, "page": 0.10, "write": 0.05, "cached": 0.50}
# The p99 target at one connection, in ms.
ALONE_P99_TARGET = {"read": 5.0, "page": 5.0, "cached": 5.0, "write": 10.0}


@dataclass
class Measurement:
    name: str
    kind: str
    database: str
    size: str
    workers: int
    seed_seconds: float
    ratios: list[float] = field(default_factory=list)
    rps: list[float] = field(default_factory=list)
    ceiling_rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    alone_p50_ms: list[float] = field(default_factory=list)
    alone_p99_ms: list[float] = field(default_factory=list)
    errors: int = 0
    pool_timeouts: int = 0

    def add_round(
        self, ceiling: dict[str, int], loaded: dict[str, int], alone: dict[str, int] | None
    ) -> None:
        ceiling_rps = ceiling["requests"] / ceiling["duration_us"] * 1e6
        rps = loaded["requests"] / loaded["duration_us"] * 1e6
        self.ceiling_rps.append(ceiling_rps)
        self.rps.append(rps)
        self.ratios.append(rps / ceiling_rps)
        self.p50_ms.append(loaded["p50_us"] / 1000)
        self.p99_ms.append(loaded["p99_us"] / 1000)
        self.errors += loaded["status_errors"] + loaded["socket_errors"]
        self.errors += ceiling["status_errors"] + ceiling["socket_errors"]
        if alone is not None:
            self.alone_p50_ms.append(alone["p50_us"] / 1000)
            self.alone_p99_ms.append(alone["p99_us"] / 1000)
            self.errors += alone["status_errors"] + alone["socket_errors"]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def alone_p99(self) -> float | None:
        return statistics.median(self.alone_p99_ms) if self.alone_p99_ms else None


def _spread(values: list[float], digits: int = 2) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def _verdict(m: Measurement) -> str:
    misses = []
    if m.ratio < RATIO_TARGET[m.kind]:
        misses.append(f"ratio < {RATIO_TARGET[m.kind]:.2f}")
    p99 = m.alone_p99
    if p99 is not None and p99 > ALONE_P99_TARGET[m.kind]:
        misses.append(f"p99@1 > {ALONE_P99_TARGET[m.kind]:.0f} ms")
    if m.errors or m.pool_timeouts:
        misses.append("errors")
    return "✓" if not misses else "✗ " + ", ".join(misses)


def _table(results: list[Measurement]) -> list[str]:
    lines = [
        "| scenario | data | median × ceiling (spread) | req/s (ceiling req/s) | p50 / p99 ms "
        "| at 1 conn. p50 / p99 ms | errors / pool timeouts | target |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in results:
        alone = (
            f"{statistics.median(m.alone_p50_ms):.1f} / {m.alone_p99:.1f}"
            if m.alone_p99 is not None
            else "–"
        )
        lines.append(
            f"| {m.name} | {m.size} | **{m.ratio:.3f}** ({_spread(m.ratios, 3)}) | "
            f"{statistics.median(m.rps):,.0f} ({statistics.median(m.ceiling_rps):,.0f}) | "
            f"{statistics.median(m.p50_ms):.1f} / {statistics.median(m.p99_ms):.1f} | {alone} | "
            f"{m.errors} / {m.pool_timeouts} | {_verdict(m)} |"
        )
    return lines


def _flatness(results: list[Measurement], database: str) -> list[str]:
    """Large against small (the same request), and the 500th page against the first."""
    by = {(m.name, m.size): m for m in results if m.database == database and m.workers == 1}
    lines = []
    for (name, size), large in by.items():
        small = by.get((name, "small"))
        if size == "small" or small is None:
            continue
        a, b = small.alone_p50_ms, large.alone_p50_ms
        if a and b:
            factor = statistics.median(b) / statistics.median(a)
            lines.append(
                f"- {name}: p50 at one connection {statistics.median(a):.2f} ms small → "
                f"{statistics.median(b):.2f} ms {size} (×{factor:.2f}, target ≤ 2) "
                f"{'✓' if factor <= 2 else '✗'}"
            )
    big = max((m.size for m in by.values()), key=list(seed.SIZES).index, default="small")
    first = by.get(("member list, first page of 20", big))
    deep = by.get(("member list, 500th page of 20 (cursor)", big))
    if first and deep and first.alone_p50_ms and deep.alone_p50_ms:
        factor = statistics.median(deep.alone_p50_ms) / statistics.median(first.alone_p50_ms)
        lines.append(
            f"- member list, 500th page against the first ({big}, one connection, p50): "
            f"×{factor:.2f} (target ≤ 1.5) {'✓' if factor <= 1.5 else '✗'}"
        )
    return lines


def _workers(results: list[Measurement]) -> list[str]:
    two = [m for m in results if m.workers == 2]
    if not two:
        return ["Not measured in this run (needs PostgreSQL and Redis)."]
    one = {(m.name, m.size): m for m in results if m.workers == 1 and m.database == "postgresql"}
    lines = [
        "| scenario | data | 1 worker × ceiling | 2 workers × ceiling | 2 workers req/s | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for m in two:
        base = one.get((m.name, m.size))
        lines.append(
            f"| {m.name} | {m.size} | {base.ratio if base else float('nan'):.3f} | "
            f"{m.ratio:.3f} | {statistics.median(m.rps):,.0f} | {m.errors} |"
        )
    return lines


def _floor(rows: list[str] | None) -> list[str]:
    if not rows:
        return []
    return [
        "What the stack itself costs per request on this machine, measured in-process "
        "(`python -m bench.profile floor`: no sockets, no uvicorn, one request at a time, the "
        "best of alternating rounds, the smaller set) beside Sanggar's GET submission:",
        "",
        *rows,
        "",
    ]


def write_report(
    results: list[Measurement],
    info: dict[str, str],
    *,
    seconds: int,
    rounds: int,
    connections: int,
    plans: dict[str, list[str]],
    floors: dict[str, list[str]],
    target: Path | None,
) -> str:
    sizes = ", ".join(
        f"{s.name}: {s.members:,} members, {s.submissions:,} submissions, {s.votes:,} votes, "
        f"{s.activities:,} activities"
        for s in seed.SIZES.values()
        if any(m.size == s.name for m in results)
    )
    lines = [
        "# Benchmark report",
        "",
        "Generated by `make bench` (bench/run.py; the analysis below from bench/ANALYSIS.md).",
        "",
        f"- Run: {info['date']}; load average before {info['load_before']}, after "
        f"{info.get('load_after', '?')} (the machine is shared: absolute figures drift, the "
        "ratios to the same-round ceiling are the comparable part).",
        f"- Machine: {info['cpu']}; Python {info['python']}; {info['versions']}; "
        f"PostgreSQL {info['postgresql']}; {info['wrk']}.",
        f"- Data sets ({sizes}); seeded fresh for each database by bulk inserts (bench/seed.py).",
        f"- Load: wrk on 127.0.0.1, {connections} connections and 2 threads, {seconds} s per "
        f"run, {rounds} rounds; in each round every scenario runs right after a run of the "
        "ceiling (a bare FastAPI `async def` returning a constant JSON object, one uvicorn "
        "worker), then once more at one connection for the latency of a request alone. "
        "The ratio is the median over rounds, the spread min–max. `sanggar serve`, one "
        "worker unless said; wrk, the ceiling and the app share the 2 cores.",
        "",
    ]
    for database in dict.fromkeys(m.database for m in results):
        mine = [m for m in results if m.database == database and m.workers == 1]
        seeded = {m.size: m.seed_seconds for m in mine}
        lines += [
            f"## {database}",
            "",
            "Seeding took " + ", ".join(f"{s} {t:.0f} s" for s, t in seeded.items()) + ".",
            "",
            *_table(mine),
            "",
            "Flat costs:",
            "",
            *_flatness(results, database),
            "",
            *_floor(floors.get(database)),
        ]
    lines += ["## Several processes (PostgreSQL + Redis)", "", *_workers(results), ""]
    analysis = ROOT / "bench" / "ANALYSIS.md"
    if analysis.exists():
        lines += [analysis.read_text()]
    for database, plan_lines in plans.items():
        lines += [
            f"### Query plans on {database} (the bigger set of this run)",
            "",
            "Every SELECT of one request of each read scenario, as the app issued it.",
            "",
            *plan_lines,
        ]
    text = "\n".join(lines)
    if target is not None:
        target.write_text(text + _versus_section(target))
    return text


def _versus_section(report: Path) -> str:
    """bench.versus's section of the report, kept as it was (it is measured apart)."""
    from bench.versus import MARK_END, MARK_START

    old = report.read_text() if report.exists() else ""
    if MARK_START not in old or MARK_END not in old:
        return ""
    return "\n\n" + MARK_START + old.split(MARK_START, 1)[1].split(MARK_END, 1)[0] + MARK_END + "\n"
