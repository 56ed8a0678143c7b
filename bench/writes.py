"""What a write costs in-process, beside the template-style insert it is held against.

    python -m bench.writes seed WORKDIR [--databases sqlite,postgresql] [--size medium] [--name N]
    python -m bench.writes measure WORKDIR DATABASE [-n 300] [--rounds 3] [--only vote]
    py-spy record -r 400 --format raw -o raw.txt -- \
        python -m bench.writes measure WORKDIR DATABASE --only vote --inline -n 3000 --rounds 1
    python -m bench.profile summary raw.txt

`seed` makes a Sanggar database (bench.seed's set) and a template-style one (bench.versus's
users and items) per database and keeps what the requests need in WORKDIR. `measure` sends
bench.versus's writes through each ASGI app in this process (no sockets, no uvicorn), as its
wrk scripts do: the template-style POST item, a new vote (member i for work j, each pair
once), an RSVP that changes (the members answer going, then interested), a comment, each
request from the next member's token. It prints the CPU per request (best of alternating
rounds) and the statements each sends through the driver (BEGIN and the token lookup
included: what the database receives). `--inline` runs the sync work on the calling thread,
where py-spy sees it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import profile, run, seed, versus

TEMPLATE_BODY = b'{"title": "A new item", "description": "Made."}'
COMMENT_BODY = b'{"body": "The light on the left is good."}'
ANSWERS = (b'{"status":"going"}', b'{"status":"interested"}')


@dataclass
class State:
    """One database's seeded pair, and how far the votes have walked their pairs."""

    url: str
    template_url: str
    tokens: list[str]
    template_tokens: list[str]
    voting_work_ids: list[int]
    closed_work_id: int
    event_id: int
    next_request: int = 0


def _state_file(workdir: Path, database: str) -> Path:
    return workdir / f"writes-{database}.json"


def seed_pair(workdir: Path, database: str, size: str, name: str) -> None:
    url = run.fresh_database(database, name, workdir)
    template_url = run.fresh_database(database, f"{name}_template", workdir)
    seeded, took = run.seed_database(url, seed.SIZES[size])
    template_tokens, _ = versus.seed_template(template_url, len(seeded.tokens), workdir)
    state = State(
        url=url,
        template_url=template_url,
        tokens=seeded.tokens,
        template_tokens=template_tokens.read_text().split(),
        voting_work_ids=seeded.voting_work_ids,
        closed_work_id=seeded.closed_work_id,
        event_id=seeded.event_id,
    )
    _state_file(workdir, database).write_text(json.dumps(asdict(state)))
    print(f"{database}: seeded {size} in {took:.0f} s")


# --- the requests --------------------------------------------------------------------------


Send = Callable[[int], Awaitable[int]]


def _sender(
    app: Any, method: str, path: Callable[[int], str], tokens: list[str], body: Any
) -> Send:
    """Request i: `path(i)` with the token of member i (and `body(i)`), as wrk sends them."""

    def one(i: int) -> Awaitable[int]:
        sent = body(i)
        scope = profile._scope(method, path(i), tokens[i % len(tokens)], sent)
        return profile._request(app, scope, sent)

    return one


def _cases(state: State, sanggar: Any, template: Any) -> dict[str, Send]:
    tokens, works = state.tokens, state.voting_work_ids
    members = len(tokens)

    def vote(i: int) -> str:  # bench/wrk/vote.lua: member i, the (i // members)th work
        return f"/api/v1/submissions/{works[(i // members) % len(works)]}/vote"

    return {
        "template-style POST item": _sender(
            template,
            "POST",
            lambda _: "/api/v1/items/",
            state.template_tokens,
            _same(TEMPLATE_BODY),
        ),
        "PUT vote (a new vote)": _sender(sanggar, "PUT", vote, tokens, _same(b"")),
        "PUT RSVP (a change)": _sender(
            sanggar,
            "PUT",
            lambda _: f"/api/v1/events/{state.event_id}/rsvp",
            tokens,
            lambda i: ANSWERS[(i // members) % 2],
        ),
        "POST comment": _sender(
            sanggar,
            "POST",
            lambda _: f"/api/v1/submissions/{state.closed_work_id}/comments",
            tokens,
            _same(COMMENT_BODY),
        ),
    }


def _same(body: bytes) -> Callable[[int], bytes]:
    return lambda _: body


# --- measuring -----------------------------------------------------------------------------


class Statements:
    """What every engine of this process sends through its driver, per engine URL."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.texts: list[str] = []

    def record(self, conn: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        self.sent[str(conn.engine.url)] += 1
        self.texts.append(" ".join(statement.split())[:140])

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.sent.clear()
        self.texts.clear()
        sa.event.listen(sa.Engine, "before_cursor_execute", self.record)
        try:
            yield
        finally:
            sa.event.remove(sa.Engine, "before_cursor_execute", self.record)


@dataclass
class Walk:
    """Request indexes never used before (a vote must be new), persisted in the state."""

    state: State

    def take(self, n: int) -> int:
        start = self.state.next_request
        self.state.next_request += n
        return start


async def _cost(send: Send, walk: Walk, n: int) -> tuple[float, Counter[int]]:
    start = walk.take(n + 50)  # bench.profile warms up with 50 first
    timed = await profile._per_request(lambda i: send(start + i), n)
    return timed[0], timed[2]


async def _statements(send: Send, walk: Walk, n: int, statements: Statements) -> float:
    start = walk.take(n)
    with statements.counting():
        for i in range(n):
            await send(start + i)
    return sum(statements.sent.values()) / n


def _apps(state: State) -> tuple[Any, Any]:
    from app.core.config import get_settings
    from app.main import create_app
    from bench import template_app

    profile._settings_env(state.url)
    get_settings.cache_clear()  # bench.seed's imports read the settings before

    # bench.versus imports the module (its engine and key read from the environment) first.
    template_app.engine = sa.create_engine(state.template_url)
    template_app.SECRET_KEY = versus.TEMPLATE_SECRET
    return create_app(), template_app.app


async def _measure(args: argparse.Namespace) -> None:
    path = _state_file(args.workdir, args.database)
    state = State(**json.loads(path.read_text()))
    if args.inline:
        profile._run_sync_inline()
    sanggar, template = _apps(state)
    cases = {
        name: send
        for name, send in _cases(state, sanggar, template).items()
        if not args.only or any(part in name for part in args.only)
    }
    walk = Walk(state)
    best: dict[str, float] = {}
    counts: dict[str, float] = {}
    statements = Statements()
    load = Path("/proc/loadavg").read_text().split()[:3]
    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(sanggar.router.lifespan_context(sanggar))
            for _ in range(args.rounds):  # alternately: the machine's speed drifts
                for name, send in cases.items():
                    cpu, statuses = await _cost(send, walk, args.n)
                    if not set(statuses) <= {200, 201}:
                        raise SystemExit(f"{name}: statuses {dict(statuses)}")
                    best[name] = min(cpu, best.get(name, cpu))
            for name, send in cases.items():
                counts[name] = await _statements(send, walk, 20, statements)
                if args.show:
                    print(name, *statements.texts[-int(counts[name]) :], sep="\n  ")
    finally:
        path.write_text(json.dumps(asdict(state)))
    _print(args, best, counts, load)


def _print(
    args: argparse.Namespace, best: dict[str, float], counts: dict[str, float], load: list[str]
) -> None:
    mode = "inline" if args.inline else "worker threads"
    print(f"{args.database}, {mode}, {args.rounds} rounds of {args.n}, load {' '.join(load)}")
    reference = best.get("template-style POST item")
    print("| write | µs CPU per request (best of rounds) | × template insert | statements |")
    print("|---|---:|---:|---:|")
    for name, cpu in best.items():
        ratio = f"{reference / cpu:.2f}" if reference else "–"
        print(f"| {name} | {cpu:.0f} | {ratio} | {counts[name]:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("workdir", type=Path)
    seeding.add_argument("--databases", default="sqlite,postgresql")
    seeding.add_argument("--size", default="medium")
    seeding.add_argument(
        "--name", default="perfwrites", help="the databases' name (beside another seeded pair)"
    )
    measuring = commands.add_parser("measure")
    measuring.add_argument("workdir", type=Path)
    measuring.add_argument("database")
    measuring.add_argument("-n", type=int, default=300)
    measuring.add_argument("--rounds", type=int, default=3)
    measuring.add_argument("--only", action="append")
    measuring.add_argument("--inline", action="store_true")
    measuring.add_argument("--show", action="store_true", help="print one request's statements")
    args = parser.parse_args()
    if args.command == "seed":
        args.workdir.mkdir(parents=True, exist_ok=True)
        for database in args.databases.split(","):
            seed_pair(args.workdir, database, args.size, args.name)
    else:
        asyncio.run(_measure(args))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
