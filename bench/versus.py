"""Sanggar against a template-style app and the constant-JSON ceiling, in the same rounds.

    python -m bench.versus

For each database (SQLite, and PostgreSQL when it answers) it seeds Sanggar's data set
(bench.seed, `medium` by default: its challenges have pages of 20 works) and, in a database
of its own, the template-style reference app's (bench.template_app: as many users as
Sanggar has token holders, each owning ITEMS_PER_USER items). It starts three servers, one
uvicorn worker each, all pinned to the first core (taskset): `sanggar serve`, the
template-style app and the ceiling (a bare FastAPI `async def` returning a constant JSON
object); wrk runs pinned to the second core, one thread, BENCH_CONNECTIONS connections.

In each round, every Sanggar scenario (a single read, a page of 20, a new vote, an RSVP that
changes, a comment) runs back to back with the ceiling and the template-style reference of
its kind (the item read by its owner, the owner's page of 20 items, an item inserted), in
the reverse order every other round. Every ratio is taken within those three runs and the
median over rounds is reported, with the spread (min–max). It also reads Sanggar's
resident memory (after start-up, after 100 log-ins, after the rounds) and the in-process CPU
floor (bench.profile floor), and writes its section of bench/REPORT.md (between the
`versus` markers, which `make bench` keeps).

Environment: BENCH_DATABASES (sqlite,postgresql), BENCH_ROUNDS (5), BENCH_SECONDS (3),
BENCH_CONNECTIONS (32), BENCH_SIZE (medium), BENCH_FLOOR_REQUESTS (1000), BENCH_PG_URL,
BENCH_REPORT (the file whose section is replaced; empty: print only), BENCH_SCENARIOS
(only scenarios whose name contains one of these, comma-separated; references always run).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import create_engine

from bench import memory, run, seed
from bench.template_app import Item, User, create_tables, mint_token

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SIZE = os.environ.get("BENCH_SIZE", "medium")
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
ONLY = [part for part in os.environ.get("BENCH_SCENARIOS", "").split(",") if part]
SERVER_CORE, WRK_CORE = "0", "1"
ITEMS_PER_USER = 30
TEMPLATE_SECRET = "template-" + "s" * 40
MARK_START, MARK_END = "<!-- versus:start -->", "<!-- versus:end -->"
# Done-when targets: (kind, database) → the least ratio to the ceiling.
CEILING_TARGET = {
    ("read", "sqlite"): 0.20,
    ("read", "postgresql"): 0.15,
    ("page", "sqlite"): 0.10,
    ("page", "postgresql"): 0.08,
}
WRITE_TARGET = 1.0  # each Sanggar write ÷ the template-style insert
FLOOR_TARGET = 2.0  # Sanggar's in-process CPU per read ÷ FastAPI + one Core SELECT
MEMORY_TARGET = {"after start-up": 120.0, "after 100 log-ins": 140.0, "after the rounds": 140.0}


@dataclass(frozen=True)
class Load:
    """One wrk run's target: which server, path, script and script environment."""

    name: str
    server: str  # sanggar, template or ceiling
    path: str
    script: str
    env: dict[str, str] = field(default_factory=dict)
    offsets: bool = False  # a write that must meet new rows in every run


@dataclass(frozen=True)
class Group:
    """What runs after one ceiling run: the template-style reference, then Sanggar's."""

    kind: str  # read, page, write
    reference: Load
    subjects: list[Load]


@dataclass
class Figures:
    rps: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)
    errors: int = 0

    def ratio_to_ceiling(self) -> list[float]:
        return [r / c for r, c in zip(self.rps, self.ceiling, strict=True)]

    def ratio_to_reference(self) -> list[float]:
        return [r / t for r, t in zip(self.rps, self.reference, strict=True)]


# --- the data ------------------------------------------------------------------------------


def fresh_database(database: str, label: str, workdir: Path) -> str:
    """An empty database of this benchmark's own (never another benchmark's name)."""
    return run.fresh_database(database, f"perfbench_{label}", workdir)


def seed_template(url: str, users: int, workdir: Path) -> tuple[Path, Path]:
    """Users with their items; returns the token file and the "token own-item-path" file."""
    create_tables(url)
    engine = create_engine(url)
    ids = [uuid.UUID(int=n + 1) for n in range(users)]
    user_rows = [
        {
            "id": user_id,
            "email": f"u{n}@bench.example.com",
            "is_active": True,
            "is_superuser": False,
            "full_name": f"User {n}",
            "hashed_password": "x",
            "created_at": seed.NOW,
        }
        for n, user_id in enumerate(ids)
    ]
    item_rows = [
        {
            "id": uuid.UUID(int=(n + 1) * 1000 + k),
            "owner_id": user_id,
            "title": f"Item {k}",
            "description": "A benchmark item, with a sentence of description.",
            "created_at": seed.NOW,
        }
        for n, user_id in enumerate(ids)
        for k in range(ITEMS_PER_USER)
    ]
    users_table, items_table = User.__table__, Item.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(sa.insert(users_table), user_rows)
        for start in range(0, len(item_rows), 5000):
            connection.execute(sa.insert(items_table), item_rows[start : start + 5000])
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    tokens = [mint_token(TEMPLATE_SECRET, user_id) for user_id in ids]
    token_file, own_file = workdir / "template-tokens.txt", workdir / "template-own.txt"
    token_file.write_text("\n".join(tokens) + "\n")
    own_file.write_text(
        "".join(
            f"{token} /api/v1/items/{uuid.UUID(int=(n + 1) * 1000)}\n"
            for n, token in enumerate(tokens)
        )
    )
    return token_file, own_file


# --- the scenarios -------------------------------------------------------------------------


def groups(s: seed.Seeded, template_tokens: Path, template_own: Path) -> list[Group]:
    works = ",".join(str(w) for w in s.voting_work_ids)
    template = {"BENCH_TOKENS": str(template_tokens)}
    found = [
        Group(
            "read",
            Load(
                "template-style GET item",
                "template",
                "/",
                "get_each.lua",
                {"BENCH_REQUESTS": str(template_own)},
            ),
            [
                Load(
                    "GET submission (token)",
                    "sanggar",
                    f"/api/v1/submissions/{s.closed_work_id}",
                    "get_auth.lua",
                )
            ],
        ),
        Group(
            "page",
            Load(
                "template-style page of 20 items",
                "template",
                "/api/v1/items/?limit=20",
                "get_auth.lua",
                template,
            ),
            [
                Load(
                    "submissions of a challenge, page of 20",
                    "sanggar",
                    f"/api/v1/challenges/{s.closed_challenge_id}/submissions?limit=20",
                    "get_auth.lua",
                )
            ],
        ),
        Group(
            "write",
            Load(
                "template-style POST item",
                "template",
                "/api/v1/items/",
                "post_json.lua",
                {**template, "BENCH_BODY": '{"title": "A new item", "description": "Made."}'},
            ),
            [
                Load(
                    "PUT vote (a new vote)",
                    "sanggar",
                    "/",
                    "vote.lua",
                    {"BENCH_WORKS": works},
                    offsets=True,
                ),
                Load(
                    "PUT RSVP (a change, many members)",
                    "sanggar",
                    "/",
                    "rsvp.lua",
                    {"BENCH_EVENT": str(s.event_id)},
                ),
                Load(
                    "POST comment",
                    "sanggar",
                    f"/api/v1/submissions/{s.closed_work_id}/comments",
                    "post_json.lua",
                    {"BENCH_BODY": '{"body": "The light on the left is good."}'},
                ),
            ],
        ),
    ]
    for group in found:
        group.subjects[:] = [
            load for load in group.subjects if not ONLY or any(p in load.name for p in ONLY)
        ]
    return [group for group in found if group.subjects]


# --- running -------------------------------------------------------------------------------


def pinned(command: list[str], core: str) -> list[str]:
    return ["taskset", "-c", core, *command]


def wrk(url: str, script: str, env: dict[str, str], *, seconds: int = SECONDS) -> dict[str, int]:
    """One thread on its own core (the servers have the other)."""
    return run.wrk(
        url,
        script,
        connections=CONNECTIONS,
        env=env,
        seconds=seconds,
        threads=1,
        prefix=("taskset", "-c", WRK_CORE),
    )


def rps(result: dict[str, int]) -> float:
    return result["requests"] / result["duration_us"] * 1e6


def errors(result: dict[str, int]) -> int:
    return result["status_errors"] + result["socket_errors"]


@contextmanager
def server(
    command: list[str], env: dict[str, str], cwd: Path, log: Path, url: str
) -> Iterator[int]:
    """A server pinned to the server core; yields its process id once `url` answers."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            pinned(command, SERVER_CORE), env=env, cwd=cwd, stdout=out, stderr=out
        )
    try:
        run._wait_until_up(url)
        yield process.pid  # taskset execs the command: the pid is the server's own
    finally:
        process.terminate()
        process.wait(timeout=20)


def uvicorn_command(target: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--log-level",
        "warning",
        "--no-access-log",
        target,
        "--port",
        str(port),
    ]


@dataclass
class Servers:
    bases: dict[str, str]
    sanggar_pid: int


def offsets_env(load: Load, run_index: int, pairs: int) -> dict[str, str]:
    """A run's BENCH_OFFSET. A write that must be new (a vote: member i for work j) gets a
    share of the `pairs` (member, work) pairs of its own, past every other run's: a run
    sends far fewer than share / 7 requests (the scripts step 7 indexes a request)."""
    share = pairs // (ROUNDS + 1)
    offset = run_index * share if load.offsets else run_index * 500_009
    return {"BENCH_OFFSET": str(offset)}


def measure(
    chosen: list[Group], servers: Servers, env: dict[str, str], pairs: int
) -> tuple[dict[str, Figures], dict[str, list[float]]]:
    figures = {load.name: Figures() for g in chosen for load in g.subjects}
    references: dict[str, list[float]] = {g.reference.name: [] for g in chosen}

    def go(load: Load, run_index: int, seconds: int = SECONDS) -> dict[str, int]:
        script_env = {**env, **load.env, **offsets_env(load, run_index, pairs)}
        return wrk(
            f"{servers.bases[load.server]}{load.path}", load.script, script_env, seconds=seconds
        )

    ceiling = Load("ceiling", "ceiling", "/hello", "get_anon.lua")
    for group in chosen:  # warm-up, not recorded (run 0 of every write's offsets)
        for load in [group.reference, *group.subjects]:
            go(load, 0, seconds=1)
    for round_index in range(1, ROUNDS + 1):
        load_average = Path("/proc/loadavg").read_text().split()[0]
        print(f"  round {round_index} (load {load_average})", flush=True)
        for group in chosen:
            for load in group.subjects:
                # The three runs of a ratio back to back, in the reverse order every other
                # round, so that a drift of the machine's speed does not favour one of them.
                order = [ceiling, group.reference, load]
                if round_index % 2 == 0:
                    order.reverse()
                results = {each.name: go(each, round_index) for each in order}
                reference = results[group.reference.name]
                references[group.reference.name].append(rps(reference))
                mine = figures[load.name]
                mine.rps.append(rps(results[load.name]))
                mine.ceiling.append(rps(results[ceiling.name]))
                mine.reference.append(rps(reference))
                mine.errors += errors(results[load.name]) + errors(reference)
    return figures, references


# --- one database --------------------------------------------------------------------------


@dataclass
class Outcome:
    database: str
    groups: list[Group]
    figures: dict[str, Figures]
    references: dict[str, list[float]]
    memory: list[tuple[str, float]]
    template_rss: float
    floor: list[str]


def measure_database(database: str, workdir: Path, bare_port: int) -> Outcome:
    url = fresh_database(database, SIZE, workdir)
    template_url = fresh_database(database, "template", workdir)
    try:
        print(f"seeding {SIZE} on {database} …", flush=True)
        seeded, _ = run.seed_database(url, seed.SIZES[SIZE])
        memory.give_passwords(url)
        tokens = workdir / "tokens.txt"
        tokens.write_text("\n".join(seeded.tokens) + "\n")
        template_tokens, template_own = seed_template(template_url, len(seeded.tokens), workdir)
        floor = floor_rows(url, tokens, seeded.closed_work_id)
        chosen = groups(seeded, template_tokens, template_own)
        env = {"BENCH_TOKENS": str(tokens)}
        with ExitStack() as stack:
            ports = {"sanggar": run._free_port(), "template": run._free_port()}
            bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            bases["ceiling"] = f"http://127.0.0.1:{bare_port}"
            pid = stack.enter_context(
                server(
                    [run.SANGGAR, "serve", "--port", str(ports["sanggar"])],
                    run.app_env(url, redis=False),
                    ROOT,
                    workdir / f"sanggar-{database}.log",
                    f"{bases['sanggar']}/healthz",
                )
            )
            rows = [("after start-up", memory.rss_mib(pid))]
            template_pid = stack.enter_context(
                server(
                    uvicorn_command("bench.template_app:app", ports["template"]),
                    {
                        **os.environ,
                        "TEMPLATE_DATABASE_URL": template_url,
                        "TEMPLATE_SECRET_KEY": TEMPLATE_SECRET,
                    },
                    ROOT,
                    workdir / f"template-{database}.log",
                    f"{bases['template']}/healthz",
                )
            )
            memory.log_ins(bases["sanggar"], 100)
            rows.append(("after 100 log-ins", memory.rss_mib(pid)))
            figures, references = measure(
                chosen, Servers(bases, pid), env, len(seeded.tokens) * len(seeded.voting_work_ids)
            )
            rows.append(("after the rounds", memory.rss_mib(pid)))
            template_rss = memory.rss_mib(template_pid)
        return Outcome(database, chosen, figures, references, rows, template_rss, floor)
    finally:
        run.drop_database(url)
        run.drop_database(template_url)


def floor_rows(url: str, tokens: Path, work_id: int) -> list[str]:
    """bench.profile floor, pinned to the server core like the servers."""
    command = pinned(
        [
            *[sys.executable, "-m", "bench.profile", "floor", url, str(tokens), str(work_id)],
            *["-n", os.environ.get("BENCH_FLOOR_REQUESTS", "1000")],
        ],
        SERVER_CORE,
    )
    print("  measuring the in-process floor …", flush=True)
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.startswith("|")]


# --- the report ----------------------------------------------------------------------------


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def floor_ratio(rows: list[str]) -> float | None:
    """Sanggar's GET submission ÷ FastAPI + one Core SELECT, from bench.profile's table."""
    cost = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) >= 2 and cells[1].isdigit():
            cost[cells[0]] = float(cells[1])
    core = next((v for k, v in cost.items() if "Core SELECT" in k), None)
    mine = next((v for k, v in cost.items() if k.startswith("Sanggar GET submission")), None)
    return mine / core if core and mine else None


def section(outcomes: list[Outcome], info: dict[str, str]) -> str:
    lines = [
        MARK_START,
        "## Sanggar against a template-style app and the ceiling (same rounds)",
        "",
        "Generated by `python -m bench.versus` (bench/versus.py; the reference app is "
        "bench/template_app.py, written the way the full-stack FastAPI template writes its "
        "endpoints: a session per request from a yield dependency, the JWT decoded and its "
        "user read on every request, `session.get`, `session.add` + `commit` + `refresh`, "
        "pages by `count()` and `select().offset().limit()`).",
        "",
        f"- Run: {info['date']}; load average before {info['load_before']}, after "
        f"{info.get('load_after', '?')}; {info['cpu']}.",
        f"- Data: Sanggar's `{SIZE}` set; the reference has as many users as Sanggar has token "
        f"holders, {ITEMS_PER_USER} items each. One uvicorn worker per server, the servers "
        f"pinned to core {SERVER_CORE}, wrk (1 thread, {CONNECTIONS} connections, {SECONDS} s "
        f"per run) pinned to core {WRK_CORE}; {ROUNDS} rounds; in each, every Sanggar scenario "
        "runs back to back with the ceiling and the reference of its kind (in the reverse "
        "order every other round); ratios within those three runs, median (min–max) over "
        "rounds. No Redis (one worker).",
        "",
    ]
    for outcome in outcomes:
        db = outcome.database
        lines += [
            f"### {db}",
            "",
            "| Sanggar scenario | kind | req/s | reference req/s | × reference | × ceiling "
            "| errors | target |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for group in outcome.groups:
            for load in group.subjects:
                f = outcome.figures[load.name]
                to_ceiling = statistics.median(f.ratio_to_ceiling())
                to_reference = statistics.median(f.ratio_to_reference())
                if group.kind == "write":
                    target = (
                        f"× reference ≥ {WRITE_TARGET:.1f} {_mark(to_reference >= WRITE_TARGET)}"
                    )
                else:
                    least = CEILING_TARGET[(group.kind, db)]
                    target = f"× ceiling ≥ {least:.2f} {_mark(to_ceiling >= least)}"
                if f.errors:
                    target += " ✗ errors"
                lines.append(
                    f"| {load.name} | {group.kind} | {statistics.median(f.rps):,.0f} | "
                    f"{statistics.median(f.reference):,.0f} ({group.reference.name}) | "
                    f"**{_spread(f.ratio_to_reference())}** | {_spread(f.ratio_to_ceiling())} | "
                    f"{f.errors} | {target} |"
                )
        ceiling = [c for f in outcome.figures.values() for c in f.ceiling]
        lines += [
            "",
            f"Ceiling: {statistics.median(ceiling):,.0f} req/s (median of its runs).",
            "",
            "Resident memory of the `sanggar serve` worker (MiB, `Rss` of smaps_rollup; the "
            "log-ins 8 at a time):",
            "",
            "| moment | MiB | target |",
            "|---|---:|---|",
            *(
                f"| {name} | {value:.0f} | ≤ {MEMORY_TARGET[name]:.0f} "
                f"{_mark(value <= MEMORY_TARGET[name])} |"
                for name, value in outcome.memory
            ),
            f"| the template-style app, after the rounds | {outcome.template_rss:.0f} | – |",
            "",
        ]
        ratio = floor_ratio(outcome.floor)
        if ratio is not None:
            lines += [
                "In-process CPU per request (`python -m bench.profile floor`, pinned to the "
                "server core):",
                "",
                *outcome.floor,
                "",
                f"Sanggar's authenticated read ÷ FastAPI + one Core SELECT: **{ratio:.2f}** "
                f"(target ≤ {FLOOR_TARGET:.0f}) {_mark(ratio <= FLOOR_TARGET)}",
                "",
            ]
    lines.append(MARK_END)
    return "\n".join(lines) + "\n"


def replace_section(report: Path, text: str) -> None:
    """Puts the section into the report, replacing the previous one (or at the end)."""
    old = report.read_text() if report.exists() else ""
    if MARK_START in old and MARK_END in old:
        before, rest = old.split(MARK_START, 1)
        after = rest.split(MARK_END, 1)[1].lstrip("\n")
        new = before + text + ("\n" + after if after else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    report.write_text(new)


def main() -> None:
    info = run.machine()
    workdir = Path(tempfile.mkdtemp(prefix="sanggar-versus-"))
    (workdir / "bare.py").write_text(run.BARE_APP)
    bare_port = run._free_port()
    databases = [d for d in DATABASES if d != "postgresql" or run.pg_available()]
    outcomes = []
    started = time.monotonic()
    with server(
        uvicorn_command("bare:app", bare_port),
        dict(os.environ),
        workdir,
        workdir / "bare.log",
        f"http://127.0.0.1:{bare_port}/hello",
    ):
        for database in databases:
            outcomes.append(measure_database(database, workdir, bare_port))
    info["load_after"] = Path("/proc/loadavg").read_text().strip()
    text = section(outcomes, info)
    print(text)
    print(f"({time.monotonic() - started:.0f} s)")
    target = os.environ.get("BENCH_REPORT", str(ROOT / "bench" / "REPORT.md"))
    if target:
        replace_section(Path(target), text)
    subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__":
    main()
