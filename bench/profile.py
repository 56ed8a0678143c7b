"""Where one request's CPU goes: the app in-process, the same request over and over.

    python -m bench.profile cost URL PATH TOKENS [--method PUT] [--body JSON] [-n 500]
    py-spy record -r 400 --format raw -o raw.txt -- python -m bench.profile cost … --inline
    python -m bench.profile summary raw.txt
    python -m bench.profile floor URL TOKENS SUBMISSION_ID [-n 2000]

`cost` sends the request through the ASGI app (every middleware, routing, dependencies,
handler, serialization; no sockets, no uvicorn) and prints the CPU time per request, with
the sync work in worker threads as served (the default) or, with `--inline`, on the
calling thread: the difference is what the hops to the thread pool cost, and inline the
whole request is on one thread, where a sampling profiler sees all of it (py-spy loses
track of worker threads' frames). `summary` turns py-spy's raw output into the share of
samples under each part of the stack (a sample counts for every part it is inside of).
TOKENS is a file of personal access tokens, one a line (bench.run writes one per data set).
`floor` measures the same way, alternately, what reference apps on the same database cost
per request: the ceiling's bare FastAPI hello, FastAPI with one SQLAlchemy Core SELECT,
the SQLModel tutorial's get-by-id, Sanggar's /healthz and Sanggar's GET submission with a
remembered token; it shows how much of a ratio to the ceiling the stack itself leaves.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

# Where a sample is: under a frame (file path containing, function or "" for any), and
# not under another (our middleware's own work is what it does before the app below it).
APP = ("fastapi/applications.py", "")
PARTS: list[tuple[str, tuple[str, str], tuple[str, str] | None]] = [
    (
        "our middleware's own work (request id, access log, metrics, headers, limits)",
        ("app/core/", "__call__"),
        ("starlette/middleware/exceptions.py", ""),
    ),
    ("route matching", ("fastapi/routing.py", "_match"), None),
    (
        "dependency solving (FastAPI), the dependencies' own work included",
        ("fastapi/dependencies/utils.py", "solve_dependencies"),
        None,
    ),
    ("token → member lookup (one SELECT)", ("app/principal/tokens.py", "resolve_token"), None),
    ("handler and its commit (one worker-thread call)", ("app/core/db.py", "run"), None),
    ("read model (its connection and statements)", ("app/readmodels.py", "read"), None),
    ("response validation and JSON (FastAPI)", ("fastapi/routing.py", "serialize_response"), None),
    ("SQLAlchemy and the driver, anywhere in the request", ("sqlalchemy/", ""), None),
    ("building ORM entities from rows", ("sqlalchemy/orm/loading.py", ""), None),
    ("pydantic models built in Python (SQLModel, schemas)", ("pydantic/main.py", "__init__"), None),
]


def _frames(stack: str) -> list[tuple[str, str]]:
    """py-spy's raw frames, `function (file:line)`, as (file, function)."""
    found = []
    for frame in stack.split(";"):
        function, _, where = frame.partition(" (")
        found.append((where.rsplit(":", 1)[0], function.rsplit(".", 1)[-1]))
    return found


def _settings_env(url: str) -> None:
    os.environ.update(
        SANGGAR_DATABASE_URL=url,
        SANGGAR_RATE_LIMIT_ENABLED="false",
        SANGGAR_LOG_LEVEL="WARNING",
        SANGGAR_SECRET_KEY="bench-" + "k" * 64,
        SANGGAR_PERIODIC_JOBS_ENABLED="false",
        SANGGAR_PUBLIC_CACHE_SECONDS="0",
    )


def _run_sync_inline() -> None:
    """Every hop to the thread pool becomes a plain call (for profiling only)."""
    import anyio.to_thread
    import fastapi.concurrency
    import fastapi.dependencies.utils
    import fastapi.routing
    import starlette.concurrency

    import app.core.db
    from app.readmodels import KeptConnections

    async def run_sync(function: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return function(*args)

    async def run_in_threadpool(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    async def run_read(
        kept: KeptConnections, work: Callable[..., Any], args: Any, kwargs: Any
    ) -> Any:
        return kept.run(work, args, kwargs)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    KeptConnections.run_in_thread = run_read  # type: ignore[method-assign,assignment]
    for module in (
        starlette.concurrency,
        fastapi.concurrency,
        fastapi.routing,
        fastapi.dependencies.utils,
        app.core.db,
    ):
        module.run_in_threadpool = run_in_threadpool  # type: ignore[attr-defined]


def _scope(method: str, path: str, token: str, body: bytes) -> dict[str, Any]:
    route, _, query = path.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def _request(app: Any, scope: dict[str, Any], body: bytes) -> int:
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def _per_request(
    one: Callable[[int], Awaitable[int]], n: int
) -> tuple[float, float, Counter[int]]:
    """CPU and wall µs per request over `one(i)` for n requests, after a warm-up."""
    for i in range(50):  # warm-up: compiled statements, caches, the first connections
        await one(i)
    statuses: Counter[int] = Counter()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        statuses[await one(50 + i)] += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return cpu / n * 1e6, wall / n * 1e6, statuses


async def _cost(args: argparse.Namespace) -> None:
    from app.main import create_app

    app = create_app()
    tokens = Path(args.tokens).read_text().split()
    body = (args.body or "").encode()

    def one(i: int) -> Awaitable[int]:
        return _request(app, _scope(args.method, args.path, tokens[i % len(tokens)], body), body)

    async with app.router.lifespan_context(app):
        cpu, wall, statuses = await _per_request(one, args.n)
    mode = "inline" if args.inline else "worker threads"
    print(
        f"{args.method} {args.path} ({mode}): {cpu:.0f} µs CPU, "
        f"{wall:.0f} µs wall per request; statuses {dict(statuses)}"
    )


def _reference_apps(url: str) -> tuple[Any, Any, Any]:
    """FastAPI apps a Sanggar request can be compared with, reading the same database."""
    import sqlalchemy as sa
    from fastapi import Depends, FastAPI, HTTPException
    from sqlmodel import Session

    from app.models.challenge import Submission

    engine = sa.create_engine(url)
    hello, core, tutorial = FastAPI(), FastAPI(), FastAPI()

    @hello.get("/api/v1/submissions/{submission_id}")
    async def constant(submission_id: int) -> dict[str, str]:  # noqa: ARG001 (same path)
        return {"hello": "world"}

    works = cast(sa.Table, Submission.__table__)  # type: ignore[attr-defined]
    by_id = sa.select(works).where(works.c.id == sa.bindparam("id"))

    @core.get("/api/v1/submissions/{submission_id}")
    async def core_row(submission_id: int) -> dict[str, Any]:
        with engine.connect() as connection:
            row = connection.execute(by_id, {"id": submission_id}).mappings().first()
        if row is None:
            raise HTTPException(404)
        return dict(row)

    def session() -> Any:
        with Session(engine) as opened:
            yield opened

    # response_model spelled out: this module's annotations are strings, Submission is local.
    @tutorial.get("/api/v1/submissions/{submission_id}", response_model=Submission)
    def orm_row(submission_id: int, opened: Session = Depends(session)) -> Any:
        found = opened.get(Submission, submission_id)
        if found is None:
            raise HTTPException(404)
        return found

    return hello, core, tutorial


def _same_request(app: Any, scope: dict[str, Any]) -> Callable[[int], Awaitable[int]]:
    def one(_i: int) -> Awaitable[int]:
        return _request(app, scope, b"")

    return one


async def _floor(args: argparse.Namespace) -> None:
    from app.main import create_app

    sanggar = create_app()
    token = Path(args.tokens).read_text().split()[0]
    work = f"/api/v1/submissions/{args.submission_id}"
    hello_app, core, tutorial = _reference_apps(args.url)
    cases = [
        ("bare FastAPI `async def`, constant JSON (the ceiling's app)", hello_app, work),
        ("FastAPI `async def`, one SQLAlchemy Core SELECT by id, no auth", core, work),
        ("FastAPI `def`, yield-session, SQLModel `session.get` (the tutorial's)", tutorial, work),
        ("Sanggar /healthz (middleware, routing, no database)", sanggar, "/healthz"),
        ("Sanggar GET submission, token remembered", sanggar, work),
    ]
    best: dict[str, float] = {}
    async with sanggar.router.lifespan_context(sanggar):
        for _ in range(args.rounds):  # alternately: the machine's speed drifts within minutes
            for label, app, path in cases:
                same = _same_request(app, _scope("GET", path, token, b""))
                cost, _, statuses = await _per_request(same, args.n)
                if set(statuses) != {200}:
                    raise SystemExit(f"{label}: statuses {dict(statuses)}")
                best[label] = min(cost, best.get(label, cost))
    hello = best[cases[0][0]]
    print("| app | µs CPU per request (best of rounds) | × the ceiling's cost |")
    print("|---|---:|---:|")
    for label, _, _ in cases:
        print(f"| {label} | {best[label]:.0f} | {best[label] / hello:.1f} |")


def _under(frames: list[tuple[str, str]], where: tuple[str, str]) -> bool:
    path, function = where
    return any(path in file and function in ("", name) for file, name in frames)


def summary(raw: Path) -> list[tuple[str, float]]:
    """Each part's share of the samples taken inside the ASGI app (not the driver's own)."""
    total = 0
    under: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = _frames(stack)
        if not _under(frames, APP):
            continue
        total += int(count)
        for label, inside, outside in PARTS:
            if _under(frames, inside) and not (outside and _under(frames, outside)):
                under[label] += int(count)
    return [(label, 100 * under[label] / max(total, 1)) for label, _, _ in PARTS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cost = commands.add_parser("cost")
    cost.add_argument("url")
    cost.add_argument("path")
    cost.add_argument("tokens")
    cost.add_argument("--method", default="GET")
    cost.add_argument("--body")
    cost.add_argument("-n", type=int, default=500)
    cost.add_argument("--inline", action="store_true")
    floor = commands.add_parser("floor")
    floor.add_argument("url")
    floor.add_argument("tokens")
    floor.add_argument("submission_id", type=int)
    floor.add_argument("-n", type=int, default=2000)
    floor.add_argument("--rounds", type=int, default=3)
    summarize = commands.add_parser("summary")
    summarize.add_argument("raw", type=Path)
    args = parser.parse_args()
    if args.command == "summary":
        for label, share in summary(args.raw):
            print(f"| {label} | {share:.0f} % |")
        return
    _settings_env(args.url)
    if args.command == "floor":
        asyncio.run(_floor(args))
        return
    if args.inline:
        _run_sync_inline()
    asyncio.run(_cost(args))


if __name__ == "__main__":
    main()
