"""A first benchmark: Sanggar's hot read paths against a bare FastAPI app (the ceiling).

It seeds a fresh SQLite database with members, starts `sanggar serve` and a bare FastAPI app
returning a constant JSON object, loads each scenario alternately from a second process with
a closed-loop asyncio client, and writes bench/REPORT.md with requests/s, p50 and p99, each
as a ratio to the bare app measured in the same run. Numbers live in the report, never in
a test. Usage: `make bench` (BENCH_SECONDS and BENCH_CONCURRENCY tune the load).
"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "1000"))
ROUNDS = 2  # each scenario runs this many times, alternating with the ceiling

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
"""


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def _load(url: str, headers: dict[str, str]) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + SECONDS
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latencies, errors


def measure(name: str, url: str, headers: dict[str, str] | None = None) -> Result:
    latencies, errors = asyncio.run(_load(url, headers or {}))
    latencies.sort()
    return Result(
        name=name,
        requests_per_second=len(latencies) / SECONDS,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        errors=errors,
    )


def _seed(env: dict[str, str]) -> None:
    sanggar = str(Path(sys.executable).with_name("sanggar"))
    subprocess.run([sanggar, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [sanggar, "seed-demo", "--members", str(MEMBERS)], env=env, check=True, capture_output=True
    )


def _token(base: str) -> str:
    form = {"username": "demo_admin", "password": "sanggar-demo"}
    return str(httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"])


def _best(results: list[Result]) -> Result:
    return max(results, key=lambda r: r.requests_per_second)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="sanggar-bench-"))
    env = {
        **os.environ,
        "SANGGAR_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "SANGGAR_RATE_LIMIT_ENABLED": "false",
        "SANGGAR_LOG_LEVEL": "WARNING",
        "SANGGAR_SECRET_KEY": "bench-" + "k" * 64,
    }
    _seed(env)
    (workdir / "bare.py").write_text(BARE_APP)
    app_port, bare_port = _free_port(), _free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
    servers = [
        subprocess.Popen([*uvicorn, "app.main:app", "--port", str(app_port)], env=env, cwd=ROOT),
        subprocess.Popen([*uvicorn, "bare:app", "--port", str(bare_port)], cwd=workdir),
    ]
    try:
        base, bare = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        _wait_until_up(f"{base}/healthz")
        _wait_until_up(f"{bare}/hello")
        auth = {"Authorization": f"Bearer {_token(base)}"}
        scenarios = [
            ("healthz", f"{base}/healthz", {}),
            ("member profile (anonymous)", f"{base}/api/v1/members/10", {}),
            ("member list, 20 a page", f"{base}/api/v1/members?limit=20", auth),
            ("member list, 100 a page", f"{base}/api/v1/members?limit=100", auth),
            ("notifications", f"{base}/api/v1/notifications", auth),
        ]
        ceiling: list[Result] = []
        measured: dict[str, list[Result]] = {name: [] for name, _, _ in scenarios}
        for _ in range(ROUNDS):
            for name, url, headers in scenarios:
                ceiling.append(measure("bare FastAPI", f"{bare}/hello"))
                measured[name].append(measure(name, url, headers))
        write_report([_best(r) for r in measured.values()], _best(ceiling))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def write_report(results: list[Result], ceiling: Result) -> None:
    lines = [
        "# Benchmark report",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; SQLite, {MEMBERS} "
        f"seeded members, one uvicorn worker, {CONCURRENCY} concurrent connections for "
        f"{SECONDS:.0f} s per scenario, best of {ROUNDS} rounds, the ceiling (a bare FastAPI "
        "app returning a constant) measured between scenarios.",
        "",
        "| scenario | requests/s | × ceiling | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
        f"| {ceiling.name} (ceiling) | {ceiling.requests_per_second:,.0f} | 1.00 | "
        f"{ceiling.p50_ms:.1f} | {ceiling.p99_ms:.1f} | {ceiling.errors} |",
    ]
    for r in results:
        ratio = r.requests_per_second / ceiling.requests_per_second
        lines.append(
            f"| {r.name} | {r.requests_per_second:,.0f} | {ratio:.2f} | {r.p50_ms:.1f} | "
            f"{r.p99_ms:.1f} | {r.errors} |"
        )
    lines += [
        "",
        "The load generator runs in this same machine's second process and competes for the two",
        "cores, so absolute numbers are lower than a remote client would see; the ratios are the",
        "comparable part between runs.",
        "",
    ]
    (ROOT / "bench" / "REPORT.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
