"""The HTTP benchmark: Sanggar's scenarios against a bare FastAPI app (the ceiling), with wrk.

For each database (SQLite, and PostgreSQL when it answers) and data set (bench.seed), it
seeds a fresh database, starts `sanggar serve` and a bare FastAPI app returning a constant
JSON object, and loads them alternately with wrk on 127.0.0.1: in every round, each
scenario runs right after a ceiling run, so every ratio compares two measurements taken
seconds apart on the same (noisy, shared) machine. A pass at one connection gives the
latency of a request alone. On PostgreSQL with Redis it then repeats a few scenarios at
2 workers. It writes bench/REPORT.md; numbers live there, never in a test.

Usage: `make bench` (full) or `make bench-quick` (BENCH_QUICK=1: small set, one round,
1-second runs, for trying changes). Environment:
  BENCH_SECONDS      seconds per wrk run (default 2; quick 1)
  BENCH_ROUNDS       rounds (default 3; quick 1)
  BENCH_CONNECTIONS  connections of the throughput runs (default 64)
  BENCH_DATABASES    sqlite,postgresql (default both; PostgreSQL skipped if unreachable)
  BENCH_SIZES        small,medium,large (default small,large; quick: small)
  BENCH_PG_URL       server URL (default postgresql+psycopg://postgres@127.0.0.1:5432)
  BENCH_REDIS_URL    Redis for the app (default redis://127.0.0.1:6379/15 when it answers)
  BENCH_SCENARIOS    only the scenarios whose name contains one of these, comma-separated
  BENCH_REPORT       where to write the report (default bench/REPORT.md; quick: stdout only)
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from app.core.config import Settings
from app.core.db import create_db_engine
from app.core.migrations import upgrade
from bench import plans, seed
from bench.report import Measurement, write_report

ROOT = Path(__file__).resolve().parents[1]
WRK_DIR = ROOT / "bench" / "wrk"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SECONDS = int(os.environ.get("BENCH_SECONDS", "1" if QUICK else "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
SIZES = os.environ.get("BENCH_SIZES", "small" if QUICK else "small,large").split(",")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
ONLY = [part for part in os.environ.get("BENCH_SCENARIOS", "").split(",") if part]
SANGGAR = str(Path(sys.executable).with_name("sanggar"))

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
"""


BIG = ("medium", "large")  # the sets where the member list has a 500th page


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    script: str  # a file in bench/wrk
    kind: str  # read, page, write, cached: which target applies
    env: dict[str, str] = field(default_factory=dict)
    # Only on these data sets (the flatness comparisons need the small one too).
    sizes: tuple[str, ...] = ("small", *BIG)
    # Sent once with every token before the rounds, so that every measured request finds the
    # same state on every data set (the large set has more tokens than a run sends requests).
    every_token_first: bool = False


def scenarios(s: seed.Seeded, deep_cursor: str | None) -> list[Scenario]:
    works = ",".join(str(w) for w in s.voting_work_ids)
    found = [
        Scenario(
            "GET submission (token)",
            f"/api/v1/submissions/{s.closed_work_id}",
            "get_auth.lua",
            "read",
            sizes=BIG,
        ),
        Scenario(
            "submissions of a challenge, page of 20",
            f"/api/v1/challenges/{s.closed_challenge_id}/submissions?limit=20",
            "get_auth.lua",
            "page",
            sizes=BIG,
        ),
        Scenario(
            "member list, first page of 20", "/api/v1/members?limit=20", "get_auth.lua", "page"
        ),
        Scenario("PUT vote", "/", "vote.lua", "write", {"BENCH_WORKS": works}, BIG),
        Scenario("PUT RSVP", "/", "rsvp.lua", "write", {"BENCH_EVENT": str(s.event_id)}, BIG),
        Scenario(
            "results of a closed challenge (anonymous, cached)",
            f"/api/v1/challenges/{s.closed_challenge_id}/results?limit=20",
            "get_anon.lua",
            "cached",
            sizes=BIG,
        ),
        # Members are never served from the cache: this is the query's own cost.
        Scenario(
            "results of a closed challenge (token, uncached)",
            f"/api/v1/challenges/{s.closed_challenge_id}/results?limit=20",
            "get_auth.lua",
            "page",
        ),
        Scenario(
            "leaderboard, this month",
            "/api/v1/leaderboard?period=month&limit=20",
            "get_auth.lua",
            "page",
        ),
        Scenario(
            "notification feed after an announcement",
            "/api/v1/notifications?limit=20",
            "get_auth.lua",
            "page",
            # A member's first read copies the announcement into their feed (a write, flat in
            # bench/conversation.py); measured here: the reads of a feed that has it.
            every_token_first=True,
        ),
        Scenario(
            "showcase (anonymous)",
            "/api/v1/showcase?limit=20",
            "get_anon.lua",
            "cached",
            sizes=BIG,
        ),
    ]
    if deep_cursor is not None:
        found.insert(
            3,
            Scenario(
                "member list, 500th page of 20 (cursor)",
                f"/api/v1/members?limit=20&cursor={quote(deep_cursor)}",
                "get_auth.lua",
                "page",
                sizes=BIG,
            ),
        )
    chosen = [sc for sc in found if s.size.name in sc.sizes]
    return [sc for sc in chosen if not ONLY or any(part in sc.name for part in ONLY)]


PLANS: dict[str, list[str]] = {}
FLOORS: dict[str, list[str]] = {}


def plan_requests(s: seed.Seeded) -> list[tuple[str, str, dict[str, str]]]:
    token = {"Authorization": f"Bearer {s.tokens[1]}"}
    chosen = scenarios(s, None)
    return [
        (sc.name, sc.path, token if sc.script == "get_auth.lua" else {})
        for sc in chosen
        if sc.script.startswith("get_")
    ]


# --- processes -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 180  # two workers start slowly on a loaded machine
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def serving(
    command: list[str], env: dict[str, str], cwd: Path, log: Path, url: str
) -> Iterator[None]:
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=out)
    try:
        _wait_until_up(url)
        yield
    finally:
        server.terminate()
        server.wait(timeout=20)


def wrk(
    url: str,
    script: str,
    *,
    connections: int,
    env: dict[str, str],
    seconds: int = SECONDS,
    threads: int | None = None,
    prefix: tuple[str, ...] = (),
) -> dict[str, int]:
    """wrk's summary of one run; `prefix` runs it under another command (e.g. `taskset`)."""
    threads = threads or (1 if connections == 1 else 2)
    command = [
        *prefix,
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_DIR / script),
        url,
    ]
    out = subprocess.run(
        command,
        env={**os.environ, **env, "BENCH_WRK_DIR": str(WRK_DIR)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^BENCH (\{.*\})$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    parsed: dict[str, int] = json.loads(match.group(1))
    return parsed


def drained(base: str) -> None:
    """Wait until the app has served what the last run left queued.

    When wrk stops, up to one request per connection is still queued in the app (at 64
    connections and a few ms each, a few hundred ms of work): the first requests of a run
    at one connection would wait behind it and their wait would be counted as its p99.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        started = time.perf_counter()
        httpx.get(f"{base}/healthz", timeout=30)
        if time.perf_counter() - started < 0.02:
            return


# --- databases -----------------------------------------------------------------------------


def pg_available() -> bool:
    try:
        with create_engine(f"{PG_URL}/postgres").connect():
            return True
    except sa.exc.OperationalError:
        return False


def redis_available() -> bool:
    host, port = REDIS_URL.split("//")[1].split("/")[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def fresh_database(database: str, size: str, workdir: Path) -> str:
    if database == "sqlite":
        return f"sqlite:///{workdir / f'bench-{size}.db'}"
    name = f"sanggar_bench_{size}"
    admin = create_engine(f"{PG_URL}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return f"{PG_URL}/{name}"


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    admin = create_engine(f"{PG_URL}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    admin.dispose()


def scratch_url(name: str) -> str:
    """BENCH_DATABASE_URL (a scratch PostgreSQL database), else a new SQLite file."""
    url = os.environ.get("BENCH_DATABASE_URL")
    return url or f"sqlite:///{Path(tempfile.mkdtemp(prefix=f'sanggar-{name}-')) / f'{name}.db'}"


def scratch_engine(settings: Settings, truncated: Sequence[str]) -> Engine:
    """The app's engine on `settings`' database, migrated to the head; on PostgreSQL (a
    scratch database reused from run to run) the `truncated` tables emptied first, with
    every table that refers to them."""
    upgrade(settings.database_url)
    engine = create_db_engine(settings)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            names = ", ".join(truncated)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return engine


def seed_database(url: str, size: seed.Size) -> tuple[seed.Seeded, float]:
    upgrade(url, "head")
    engine = create_engine(url)
    started = time.perf_counter()
    seeded = seed.seed(engine, size)
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return seeded, time.perf_counter() - started


def floor(url: str, tokens: Path, work_id: int) -> list[str]:
    """What reference apps cost per request in-process on this database (bench.profile)."""
    command = [sys.executable, "-m", "bench.profile", "floor", url, str(tokens), str(work_id)]
    print("  measuring the floor in-process …", flush=True)
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.startswith("|")]


def send_once_with_every_token(url: str, tokens: Path) -> None:
    with httpx.Client(timeout=30) as client:
        for token in tokens.read_text().split():
            client.get(url, headers={"Authorization": f"Bearer {token}"}).raise_for_status()


def deep_cursor(base: str, token: str, pages: int) -> str | None:
    """The cursor of page `pages`, found by walking the member list as a client would."""
    cursor: str | None = None
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(pages - 1):
            params = {"limit": "20", **({"cursor": cursor} if cursor else {})}
            cursor = client.get("/api/v1/members", params=params).json()["next_cursor"]
            if cursor is None:
                return None
    return cursor


# --- the measurement -----------------------------------------------------------------------


def app_env(url: str, *, redis: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "SANGGAR_DATABASE_URL": url,
        "SANGGAR_RATE_LIMIT_ENABLED": "false",
        "SANGGAR_LOG_LEVEL": "WARNING",
        "SANGGAR_SECRET_KEY": "bench-" + "k" * 64,
    }
    if redis:
        env["SANGGAR_REDIS_URL"] = REDIS_URL
    else:
        env.pop("SANGGAR_REDIS_URL", None)
    return env


def measure_set(database: str, size_name: str, workdir: Path, bare: str) -> list[Measurement]:
    size = seed.SIZES[size_name]
    url = fresh_database(database, size_name, workdir)
    print(f"seeding {size_name} on {database} …", flush=True)
    seeded, seconds = seed_database(url, size)
    print(f"  seeded in {seconds:.0f} s", flush=True)
    tokens = workdir / "tokens.txt"
    tokens.write_text("\n".join(seeded.tokens) + "\n")
    if size_name != "small":
        PLANS[database] = plans.capture(url, plan_requests(seeded))
    if size_name == SIZES[0]:
        FLOORS[database] = floor(url, tokens, seeded.closed_work_id)
    redis = database == "postgresql" and redis_available()
    results: list[Measurement] = []
    try:
        # Two workers on the biggest set of the run only: the comparison, not every set.
        several = redis and size_name == SIZES[-1]
        for workers in [1, 2] if several else [1]:
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            command = [SANGGAR, "serve", "--port", str(port), "--workers", str(workers)]
            log = workdir / f"app-{database}-{size_name}-{workers}.log"
            try:
                with serving(command, app_env(url, redis=redis), ROOT, log, f"{base}/healthz"):
                    cursor = (
                        deep_cursor(base, seeded.tokens[0], 500) if size_name != "small" else None
                    )
                    chosen = scenarios(seeded, cursor)
                    if workers > 1:
                        reads = [sc for sc in chosen if sc.kind in ("read", "page")]
                        chosen = reads[:3] + [sc for sc in chosen if sc.kind == "write"][:1]
                    results += _rounds(chosen, base, bare, tokens, database, size, workers, seconds)
            except RuntimeError as error:  # a start-up failure is reported, not fatal
                print(f"  {workers} worker(s) on {database}: {error}", flush=True)
                continue
            timeouts = log.read_text(errors="replace").count("QueuePool limit")
            for m in results:
                if m.workers == workers:
                    m.pool_timeouts = timeouts
    finally:
        drop_database(url)
    return results


def _rounds(
    chosen: list[Scenario],
    base: str,
    bare: str,
    tokens: Path,
    database: str,
    size: seed.Size,
    workers: int,
    seed_seconds: float,
) -> list[Measurement]:
    out = {
        sc.name: Measurement(sc.name, sc.kind, database, size.name, workers, seed_seconds)
        for sc in chosen
    }
    for sc in chosen:  # warm-up, not recorded: first requests compile queries and fill caches
        if sc.every_token_first:
            send_once_with_every_token(f"{base}{sc.path}", tokens)
        env = {"BENCH_TOKENS": str(tokens), "BENCH_OFFSET": "900000", **sc.env}
        wrk(f"{base}{sc.path}", sc.script, connections=8, env=env, seconds=1)
    for round_index in range(ROUNDS):
        print(f"  {database} {size.name} {workers}w round {round_index + 1}", flush=True)
        for sc in chosen:
            env = {
                "BENCH_TOKENS": str(tokens),
                "BENCH_OFFSET": str(round_index * 500_009),
                **sc.env,
            }
            ceiling = wrk(f"{bare}/hello", "get_anon.lua", connections=CONNECTIONS, env=env)
            loaded = wrk(f"{base}{sc.path}", sc.script, connections=CONNECTIONS, env=env)
            alone = None
            if workers == 1:
                drained(base)
                env["BENCH_OFFSET"] = str(round_index * 500_009 + 250_000)
                alone = wrk(f"{base}{sc.path}", sc.script, connections=1, env=env)
            out[sc.name].add_round(ceiling, loaded, alone)
    return list(out.values())


def machine() -> dict[str, str]:
    def version(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    import fastapi
    import pydantic
    import sqlalchemy
    import uvicorn

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "cpu": f"{cpu}, {os.cpu_count()} cores, {platform.machine()}",
        "python": platform.python_version(),
        "versions": f"FastAPI {fastapi.__version__}, pydantic {pydantic.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, uvicorn {uvicorn.__version__}, "
        f"SQLite {sa.__dict__.get('__sqlite__', '') or __import__('sqlite3').sqlite_version}",
        "postgresql": version(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"]
        ),
        "wrk": version(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "?",
        "load_before": Path("/proc/loadavg").read_text().strip(),
    }


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    info = machine()
    workdir = Path(tempfile.mkdtemp(prefix="sanggar-bench-"))
    (workdir / "bare.py").write_text(BARE_APP)
    bare_port = _free_port()
    bare = f"http://127.0.0.1:{bare_port}"
    uvicorn_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--log-level",
        "warning",
        "--no-access-log",
        "bare:app",
        "--port",
        str(bare_port),
    ]
    databases = [d for d in DATABASES if d != "postgresql" or pg_available()]
    results: list[Measurement] = []
    with serving(uvicorn_cmd, dict(os.environ), workdir, workdir / "bare.log", f"{bare}/hello"):
        for database in databases:
            for size in SIZES:
                results += measure_set(database, size, workdir, bare)
    info["load_after"] = Path("/proc/loadavg").read_text().strip()
    target = os.environ.get("BENCH_REPORT", "" if QUICK else str(ROOT / "bench" / "REPORT.md"))
    text = write_report(
        results,
        info,
        seconds=SECONDS,
        rounds=ROUNDS,
        connections=CONNECTIONS,
        plans=PLANS,
        floors=FLOORS,
        target=Path(target) if target else None,
    )
    print(text)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
