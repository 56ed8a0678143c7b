"""Resident memory of one `sanggar serve` worker: after start-up, after log-ins, after load.

    python -m bench.memory [--database sqlite|postgresql] [--log-ins 100] [--seconds 3]
                           [--env NAME=VALUE ...]

Seeds the small data set (bench.seed) into a fresh database, gives members 1–100 a real
password, starts `sanggar serve` (one worker, pinned to the first core like bench.versus),
and prints its resident set (`Rss` of /proc/PID/smaps_rollup, in MiB):

1. after start-up (the health check answers),
2. after N log-ins (`POST /api/v1/auth/token`, 8 at a time, so several of the thread pool's
   threads each hash a password: an Argon2 hash of the default cost allocates 19 MiB),
3. after a load run: wrk on each of bench.versus's Sanggar scenarios for a few seconds,
4. after N more log-ins.

`--env` sets variables for the server only, to compare allocator settings
(e.g. `--env MALLOC_ARENA_MAX=2`) or the app's own (`--env SANGGAR_…`). bench.versus uses
`rss_mib` and `log_ins` for its own memory table.

`--tree A=PATH --tree B=PATH [--start-ups 5]` compares the start-up of checkouts instead (an
A/B of a change): each tree's server (its code first on PYTHONPATH, this environment's
libraries) is started in turn, A, B, A, B, …, on the same seeded database, and its resident
set read half a second after the health check answers; it prints each tree's median and
every figure. A tree made by `git archive` has no compiled catalogues: copy
`app/i18n/locales/*/LC_MESSAGES/messages.mo` in, or each start-up reads the `.po` files.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import sqlalchemy as sa
from sqlmodel import create_engine

from app.core.config import Settings
from app.core.security import hash_password
from app.models import Member
from bench.seed import Seeded

PASSWORD = "bench password, long enough"
LOGIN_MEMBERS = 100  # members m1…m100 get PASSWORD
MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    """The process's resident set in MiB (all its threads)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            return int(line.split()[1]) * 1024 / MIB
    raise RuntimeError(f"no Rss for process {pid}")


def give_passwords(url: str) -> None:
    """Members m1…m100 can log in with PASSWORD (the seed gives them no usable hash)."""
    hashed = hash_password(Settings(database_url=url), PASSWORD)
    engine = create_engine(url)
    members = Member.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(
            sa.update(members).where(members.c.id <= LOGIN_MEMBERS).values(password_hash=hashed)
        )
    engine.dispose()


def log_ins(base: str, count: int, *, at_once: int = 8) -> None:
    """`count` log-ins of members m1…m100 in turn, `at_once` in flight."""

    def one(n: int) -> None:
        form = {"username": f"m{n % LOGIN_MEMBERS + 1}", "password": PASSWORD}
        response = httpx.post(f"{base}/api/v1/auth/token", data=form, timeout=120)
        if response.status_code != 200:
            raise RuntimeError(f"log-in answered {response.status_code}: {response.text[:200]}")

    with ThreadPoolExecutor(at_once) as pool:
        list(pool.map(one, range(count)))


def measure(
    env: dict[str, str],
    workdir: Path,
    seeded: Seeded,
    tokens: Path,
    count: int,
    seconds: int,
) -> list[tuple[str, float]]:
    """The resident set at each moment of the module's description."""
    from bench import run, versus

    port = run._free_port()
    base = f"http://127.0.0.1:{port}"
    command = [run.SANGGAR, "serve", "--port", str(port)]
    with versus.server(command, env, run.ROOT, workdir / "sanggar.log", f"{base}/healthz") as pid:
        rows = [("after start-up", rss_mib(pid))]
        log_ins(base, count)
        rows.append((f"after {count} log-ins", rss_mib(pid)))
        pairs = len(seeded.tokens) * len(seeded.voting_work_ids)
        for group in versus.groups(seeded, tokens, tokens):
            for load in group.subjects:
                script_env = {"BENCH_TOKENS": str(tokens), **load.env}
                script_env.update(versus.offsets_env(load, 1, pairs))
                versus.wrk(f"{base}{load.path}", load.script, script_env, seconds=seconds)
        rows.append(("after the load run", rss_mib(pid)))
        log_ins(base, count)
        rows.append((f"after {count} more log-ins", rss_mib(pid)))
    return rows


def start_ups(env: dict[str, str], workdir: Path, trees: dict[str, Path], count: int) -> None:
    """Each tree's server started `count` times, the trees in turn; prints their figures."""
    from bench import run, versus

    figures: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(count):
        for name, tree in trees.items():
            port = run._free_port()
            command = [run.SANGGAR, "serve", "--port", str(port)]
            tree_env = {**env, "PYTHONPATH": str(tree)}
            log = workdir / "sanggar.log"
            with versus.server(
                command, tree_env, tree, log, f"http://127.0.0.1:{port}/healthz"
            ) as pid:
                time.sleep(0.5)  # what start-up leaves running settles
                figures[name].append(rss_mib(pid))
    for name, values in figures.items():
        every = " ".join(f"{value:.1f}" for value in values)
        print(f"{name}: {statistics.median(values):.1f} MiB after start-up ({every})")


def main() -> None:
    from bench import run, seed, versus

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--log-ins", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--start-ups", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sanggar-memory-"))
    url = versus.fresh_database(args.database, "memory", workdir)
    try:
        seeded, _ = run.seed_database(url, seed.SIZES["small"])
        give_passwords(url)
        tokens = workdir / "tokens.txt"
        tokens.write_text("\n".join(seeded.tokens) + "\n")
        env = {**run.app_env(url, redis=False), **dict(e.split("=", 1) for e in args.env)}
        if args.tree:
            trees = {name: Path(path) for name, path in (t.split("=", 1) for t in args.tree)}
            start_ups(env, workdir, trees, args.start_ups)
            return
        rows = measure(env, workdir, seeded, tokens, args.log_ins, args.seconds)
    finally:
        run.drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)
    print("| " + " | ".join(name for name, _ in rows) + " |")
    print("|" + "---:|" * len(rows))
    print("| " + " | ".join(f"{value:.0f}" for _, value in rows) + " |")


if __name__ == "__main__":
    main()
