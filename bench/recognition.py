"""Leaderboard and analytics response times at 10k, 100k and 1M activities.

Seeds a fresh database with bulk Core inserts: members (bench.challenges' generator) with a
discipline each and join dates spread over a year, then activities in steps up to each size,
spread over the last 365 days across members and kinds, recorded in chunks through
`recognition.service.record_history` (one INSERT per chunk plus the maintained totals, as
the app keeps them). At each size it times, through the whole HTTP stack in-process
(TestClient, no network), the leaderboard's first and a deep page, by discipline, and the
analytics endpoints, and writes bench/RECOGNITION.md. Numbers live there, never in a test.

Usage: `.venv/bin/python -m bench.recognition`. Environment:
  BENCH_ACTIVITY_SIZES activity counts to measure at (default 10000,100000,1000000)
  BENCH_REPEATS        timed requests per scenario and size (default 20)
  BENCH_DATABASE_URL   a scratch PostgreSQL database (default: a temporary SQLite file)
"""

from __future__ import annotations

import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth import service as auth
from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.models import AuthSession, ContributionKind, Member, MemberTag
from app.recognition import service as recognition
from bench.challenges import (
    MEMBERS,
    NOW,
    insert_rows,
    seed_members,
    settle,
    table_of,
    time_requests,
)

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(n) for n in os.environ.get("BENCH_ACTIVITY_SIZES", "10000,100000,1000000").split(",")]
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
CHUNK = 20_000
DISCIPLINES = ["design", "illustration", "photography", "writing", "video"]
# How often each kind occurs: votes and comments are many, wins rare.
KINDS = (
    [ContributionKind.VOTE] * 40
    + [ContributionKind.COMMENT] * 20
    + [ContributionKind.POST] * 10
    + [ContributionKind.SUBMISSION] * 10
    + [ContributionKind.EVENT_ATTENDED] * 8
    + [ContributionKind.IDEA] * 4
    + [ContributionKind.TASK_DONE] * 4
    + [ContributionKind.PROJECT_UPDATE] * 3
    + [ContributionKind.CHALLENGE_WIN]
)


@dataclass
class Row:
    activities: int
    timings: dict[str, tuple[float, float]]  # scenario -> (median ms, p90 ms)


def seed_community(engine: Engine) -> None:
    seed_members(engine)
    tags = (
        {
            "member_id": n,
            "kind": "discipline",
            "value_key": DISCIPLINES[n % 5],
            "value": DISCIPLINES[n % 5],
            "position": 0,
        }
        for n in range(1, MEMBERS + 1)
    )
    insert_rows(engine, table_of(MemberTag), tags)
    members = table_of(Member)
    with engine.begin() as connection:
        connection.execute(
            sa.update(members)
            .where(members.c.id == sa.bindparam("member"))
            .values(joined_at=sa.bindparam("joined")),
            [
                {"member": n, "joined": NOW - timedelta(days=n % 400, hours=n % 24)}
                for n in range(1, MEMBERS + 1)
            ],
        )


def add_activities(engine: Engine, rng: random.Random, start: int, end: int) -> None:
    """Activities number `start` to `end` (their source ids), over the last 365 days."""
    for chunk_start in range(start, end, CHUNK):
        entries = [
            recognition.PastContribution(
                member_id=_active_member(rng),
                kind=rng.choice(KINDS),
                source_id=source,
                occurred_at=NOW - timedelta(seconds=rng.randint(60, 365 * 86_400)),
            )
            for source in range(chunk_start, min(end, chunk_start + CHUNK))
        ]
        with Session(engine) as session:
            recognition.record_history(session, entries)
            session.commit()


def _active_member(rng: random.Random) -> int:
    # A long tail: a fifth of the members make most contributions; a tenth never do.
    if rng.random() < 0.7:
        return rng.randint(1, MEMBERS // 5)
    return rng.randint(1, MEMBERS * 9 // 10)


def organizer_headers(app: Any) -> dict[str, str]:
    engine: Engine = app.state.engine
    with Session(engine) as session:
        session.execute(
            sa.update(table_of(Member)).where(table_of(Member).c.id == 1).values(role="organizer")
        )
        login = AuthSession(member_id=1)
        session.add(login)
        session.flush()
        pair = auth.issue_tokens(
            session,
            app.state.settings,
            member_id=1,
            session_id=login.id,  # type: ignore[arg-type]
        )
        session.commit()
    return {"Authorization": f"Bearer {pair.access_token}"}


def _deep_cursor(client: TestClient, url: str, *, pages: int, **params: Any) -> str:
    """The cursor of page `pages + 1` (bench.challenges' helper takes no query parameters)."""
    cursor = ""
    for _ in range(pages):
        query = {"limit": 20, **params, **({"cursor": cursor} if cursor else {})}
        cursor = client.get(url, params=query).json()["next_cursor"]
        assert cursor, "fewer members on the leaderboard than the deep page needs"
    return cursor


def measure(client: TestClient, headers: dict[str, str]) -> dict[str, tuple[float, float]]:
    board = "/api/v1/leaderboard"
    client.headers.update(headers)
    deep = _deep_cursor(client, board, pages=10, period="all")
    today = NOW.date()

    def engagement(days: int) -> Any:
        start = (today - timedelta(days=days - 1)).isoformat()
        return client.get(
            "/api/v1/analytics/engagement", params={"from": start, "to": today.isoformat()}
        )

    return {
        "leaderboard, month": time_requests(lambda: client.get(board, params={"limit": 20})),
        "leaderboard, all, page 11": time_requests(
            lambda: client.get(board, params={"period": "all", "limit": 20, "cursor": deep})
        ),
        "leaderboard, by discipline": time_requests(
            lambda: client.get(board, params={"period": "all", "discipline": "writing"})
        ),
        "engagement, 30 days": time_requests(lambda: engagement(30)),
        "engagement, 366 days": time_requests(lambda: engagement(366)),
        "silent members": time_requests(lambda: client.get("/api/v1/analytics/silent-members")),
        "fading members": time_requests(lambda: client.get("/api/v1/analytics/fading-members")),
    }


HEADER = f"""# Recognition benchmark: leaderboard and analytics as activity grows

{MEMBERS} members (a discipline each, joined over the last 400 days) get 10k, then 100k, then
1M activities over the last 365 days (bulk-recorded with their maintained totals; most by
a fifth of the members, a tenth never contribute). Each cell is the median (p90) in
milliseconds of {REPEATS} requests through the whole HTTP stack in-process (FastAPI
TestClient, one thread, no network). Regenerate with `.venv/bin/python -m bench.recognition`
(SQLite) or with `BENCH_DATABASE_URL` set to a scratch PostgreSQL database; each run
replaces its own database's section.

What to expect: the leaderboard reads one period's rows of the maintained `member_points`
(at most one per member) along the (period_kind, period_start, points, member_id) index,
plus one COUNT for the rank of the page's first row: it depends on the number of members
with points in the period, never on the number of activities. Silent members walk the
members by join date with an indexed NOT EXISTS on (member_id, occurred_at). Engagement
and fading members aggregate the activities of their window, so they grow with the activity
inside that window (a 366-day report at 1M activities reads about 1M rows); they are
organizer reports, not hot paths.
"""


def _section(rows: list[Row], database: str, seconds: float) -> str:
    scenarios = list(rows[0].timings)
    lines = [
        f"## {database}",
        "",
        f"Run {NOW:%Y-%m-%d %H:%M} UTC on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; seeding and measuring took {seconds:.0f} s.",
        "",
        "| scenario | " + " | ".join(f"{row.activities:,}" for row in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]
    for scenario in scenarios:
        cells = [f"{r.timings[scenario][0]:.1f} ({r.timings[scenario][1]:.1f})" for r in rows]
        ratio = rows[-1].timings[scenario][0] / rows[0].timings[scenario][0]
        lines.append(f"| {scenario} ({ratio:.2f}x) | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The ratio after each scenario is its median at the largest size over the smallest.",
        "",
    ]
    return "\n".join(lines)


def write_report(rows: list[Row], database: str, seconds: float) -> Path:
    """Replaces this database's section of the report, keeping the other database's."""
    path = ROOT / "bench" / "RECOGNITION.md"
    sections = {}
    if path.exists():
        for part in path.read_text().split("\n## ")[1:]:
            sections[part.split("\n", 1)[0]] = "## " + part.rstrip("\n") + "\n"
    sections[database] = _section(rows, database, seconds)
    body = "\n".join(sections[name] for name in sorted(sections, reverse=True))
    path.write_text(HEADER + "\n" + body)
    return path


def main() -> None:
    started = time.perf_counter()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
        upgrade(url)
        settings = Settings(
            _env_file=None,
            database_url=url,
            secret_key=SecretStr("bench-secret-key-" + "x" * 48),
            rate_limit_enabled=False,
            periodic_jobs_enabled=False,
            log_level="WARNING",
        )
        app = create_app(settings)
        engine: Engine = app.state.engine
        seed_community(engine)
        client = TestClient(app)  # no lifespan: nothing runs in the background
        rows: list[Row] = []
        done = 0
        for size in SIZES:
            add_activities(engine, rng, done, size)
            done = size
            settle(engine)
            # A fresh log-in each time: seeding a million outlasts an access token.
            rows.append(Row(activities=size, timings=measure(client, organizer_headers(app))))
            print(f"{size:>9,} activities: {rows[-1].timings}", file=sys.stderr)
        engine.dispose()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    path = write_report(rows, database, time.perf_counter() - started)
    print(f"Wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
