"""Results and showcase response times at 1k, 100k and 1M votes: they must stay flat.

Seeds a fresh database with bulk Core inserts (never per-row ORM): members, one closed
challenge with its works, and then votes in steps up to each size, setting the works'
tallies as the app keeps them (`vote_count`), plus a body of closed challenges with
winners and featured works for the showcase. At each size it times, through the whole
HTTP stack in-process (TestClient, no network), the first and a deep page of the results
and the showcase, and writes bench/CHALLENGES.md. Numbers live there, never in a test.

Usage: `.venv/bin/python -m bench.challenges`. Environment:
  BENCH_VOTE_SIZES     vote counts to measure at (default 1000,100000,1000000)
  BENCH_REPEATS        timed requests per scenario and size (default 100)
  BENCH_DATABASE_URL   a scratch PostgreSQL database (default: a temporary SQLite file)
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.challenges import ranking
from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.models import Challenge, Member, Submission, Vote

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(n) for n in os.environ.get("BENCH_VOTE_SIZES", "1000,100000,1000000").split(",")]
REPEATS = int(os.environ.get("BENCH_REPEATS", "100"))
MEMBERS = 4000  # voters: each votes at most once per work, so tallies stay below this
WORKS = 400  # works in the measured challenge
SHOWCASE_CHALLENGES = 200  # closed challenges with winners and a featured work each
CHUNK = 20_000
NOW = datetime.now(UTC)


@dataclass
class Row:
    votes: int
    timings: dict[str, tuple[float, float]]  # scenario -> (median ms, p90 ms)


# --- seeding -------------------------------------------------------------------------------


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def insert_rows(engine: Engine, table: sa.Table, rows: Iterator[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for chunk in _chunks(rows):
            connection.execute(sa.insert(table), chunk)


def table_of(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def member_row(n: int, *, joined_at: datetime = NOW) -> dict[str, Any]:
    """Member number `n` (handle `m<n>`), as a bulk insert wants it."""
    return {
        "email": f"m{n}@bench.example.com",
        "handle": f"m{n}",
        "handle_key": f"m{n}",
        "display_name": f"Member {n}",
        "password_hash": "x",
        "bio": "",
        "links": [],
        "role": "member",
        "is_active": True,
        "open_for_commissions": n % 3 == 0,
        "points": 0,
        "joined_at": joined_at,
        "announcements_seen_id": 0,
    }


def seed_members(engine: Engine) -> None:
    insert_rows(engine, table_of(Member), (member_row(n) for n in range(1, MEMBERS + 1)))


def _challenge_row(index: int, discipline: str) -> dict[str, Any]:
    closes = NOW - timedelta(days=index + 1)
    return {
        "title": f"Challenge {index}",
        "theme": "Bench",
        "description": "",
        "discipline": discipline,
        "submissions_open_at": closes - timedelta(days=9),
        "submissions_close_at": closes - timedelta(days=2),
        "voting_close_at": closes,
        "max_submissions_per_member": 1,
        "votes_per_member": 3,
        "winners_count": 3,
        "published": True,
        "submission_count": 0,
        "participant_count": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _work_row(challenge_id: int, member_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "challenge_id": challenge_id,
        "member_id": member_id,
        "title": f"Work by {member_id}",
        "description": "",
        "content": "",
        "media_urls": ["https://img.example.com/w.jpg"],
        "license": "CC-BY-4.0",
        "anthology_consent": False,
        "vote_count": 0,
        "featured": False,
        "disqualified": False,
        "is_winner": False,
        "created_at": NOW,
        "updated_at": NOW,
        **extra,
    }


def seed_challenges(engine: Engine) -> tuple[int, list[int]]:
    """The measured challenge with its works, and the showcase's closed challenges."""
    disciplines = ["photography", "writing", "design", "illustration"]
    rows = [_challenge_row(i, disciplines[i % 4]) for i in range(SHOWCASE_CHALLENGES + 1)]
    insert_rows(engine, table_of(Challenge), iter(rows))
    with engine.connect() as connection:
        challenges = table_of(Challenge)
        ids = list(connection.scalars(sa.select(challenges.c.id).order_by(challenges.c.id)))
    measured, others = ids[0], ids[1:]
    insert_rows(engine, table_of(Submission), (_work_row(measured, m + 1) for m in range(WORKS)))
    showcase = (
        _work_row(
            challenge_id,
            (i * 5 + k) % MEMBERS + 1,
            vote_count=10 - k,
            is_winner=k < 3,
            featured=k == 4,
            showcased_at=row["voting_close_at"] if k != 3 else None,
        )
        for i, (challenge_id, row) in enumerate(zip(others, rows[1:], strict=True))
        for k in range(5)
    )
    insert_rows(engine, table_of(Submission), showcase)
    submissions = table_of(Submission)
    with engine.connect() as connection:
        works = list(
            connection.scalars(
                sa.select(submissions.c.id)
                .where(submissions.c.challenge_id == measured)
                .order_by(submissions.c.id)
            )
        )
    return measured, works


def tallies(total: int) -> list[int]:
    """A linear popularity curve over the works (the best gets 3x the least), summing to
    about `total` and capped at the number of voters."""
    weights = [WORKS + WORKS // 2 - i for i in range(WORKS)]
    scale = total / sum(weights)
    return [min(MEMBERS, round(w * scale)) for w in weights]


def add_votes(
    engine: Engine, challenge_id: int, works: list[int], before: list[int], after: list[int]
) -> None:
    """Inserts the votes that take each work from `before` to `after` voters, and sets the
    tallies to match (the app keeps them in the vote's transaction)."""
    rows = (
        {
            "challenge_id": challenge_id,
            "submission_id": work,
            "member_id": member,
            "created_at": NOW,
        }
        for work, start, end in zip(works, before, after, strict=True)
        for member in range(start + 1, end + 1)
    )
    insert_rows(engine, table_of(Vote), rows)
    with engine.begin() as connection:
        connection.execute(
            sa.update(table_of(Submission))
            .where(table_of(Submission).c.id == sa.bindparam("work"))
            .values(vote_count=sa.bindparam("tally")),
            [{"work": work, "tally": tally} for work, tally in zip(works, after, strict=True)],
        )


def settle(engine: Engine) -> None:
    """The steady state a live database reaches by itself after a bulk load: planner
    statistics (autovacuum's ANALYZE) and, on SQLite, the WAL folded into the file."""
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction, as a checkpoint must be
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def rank(engine: Engine, challenge_id: int) -> None:
    with Session(engine) as session:
        challenge = session.exec(select(Challenge).where(Challenge.id == challenge_id)).one()
        ranking.refresh(session, challenge, closed=True, now=NOW)
        session.commit()


# --- timing --------------------------------------------------------------------------------


def time_requests(
    request: Callable[[], Any], repeats: int = REPEATS, status: int = 200
) -> tuple[float, float]:
    """Median and p90 in milliseconds of `repeats` calls (after three to warm up)."""
    for _ in range(3):  # warm caches and the connection pool
        request()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = request()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == status, response.text
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def _deep_cursor(client: TestClient, url: str, pages: int) -> str:
    cursor = ""
    for _ in range(pages):
        cursor = client.get(
            url, params={"limit": 20, **({"cursor": cursor} if cursor else {})}
        ).json()["next_cursor"]
    return cursor


def measure(client: TestClient, challenge_id: int) -> dict[str, tuple[float, float]]:
    results = f"/api/v1/challenges/{challenge_id}/results"
    deep = _deep_cursor(client, results, 10)  # the 11th page: works ranked 201-220
    showcase = "/api/v1/showcase"
    return {
        "results, first page": time_requests(lambda: client.get(results, params={"limit": 20})),
        "results, page 11": time_requests(
            lambda: client.get(results, params={"limit": 20, "cursor": deep})
        ),
        "showcase, first page": time_requests(lambda: client.get(showcase, params={"limit": 20})),
        "showcase, by discipline": time_requests(
            lambda: client.get(showcase, params={"limit": 20, "discipline": "writing"})
        ),
    }


# --- the report ----------------------------------------------------------------------------


HEADER = f"""# Challenges benchmark: results and showcase as votes grow

One closed challenge with {WORKS} works and {MEMBERS} voters gets 1k, then 100k, then 1M
votes (bulk inserts, tallies set as the app keeps them); the showcase holds
{SHOWCASE_CHALLENGES * 4 + 3} works of {SHOWCASE_CHALLENGES + 1} closed challenges. Each cell
is the median (p90) in milliseconds of {REPEATS} requests through the whole HTTP stack
in-process (FastAPI TestClient, one thread, no network). Regenerate with
`.venv/bin/python -m bench.challenges` (SQLite) or with `BENCH_DATABASE_URL` set to a
scratch PostgreSQL database; each run replaces its own database's section.

Why flat: results read the maintained tallies (`submissions.vote_count`, kept in each
vote's transaction) along the (challenge_id, vote_count, id) index, plus one COUNT for the
rank of a page's first work; no request reads the votes table. The showcase walks the
(showcased_at, id) index of works flagged when their challenge was ranked, so it does not
depend on votes at all. Cells jitter by a few milliseconds between runs on a busy machine;
what matters is that no column grows with the votes.
"""


def _section(rows: list[Row], database: str, seconds: float) -> str:
    scenarios = list(rows[0].timings)
    lines = [
        f"## {database}",
        "",
        f"Run {NOW:%Y-%m-%d %H:%M} UTC on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; seeding and measuring took {seconds:.0f} s.",
        "",
        "| votes | " + " | ".join(scenarios) + " |",
        "|---:|" + "---:|" * len(scenarios),
    ]
    for row in rows:
        cells = [f"{row.timings[s][0]:.1f} ({row.timings[s][1]:.1f})" for s in scenarios]
        lines.append(f"| {row.votes:,} | " + " | ".join(cells) + " |")
    first, last = rows[0], rows[-1]
    ratios = ", ".join(f"{s} {last.timings[s][0] / first.timings[s][0]:.2f}x" for s in scenarios)
    lines += ["", f"Median at {last.votes:,} votes over {first.votes:,}: {ratios}.", ""]
    return "\n".join(lines)


def replace_section(path: Path, header: str, database: str, section: str) -> Path:
    """Writes the report with this database's section replaced, keeping the others'."""
    sections = {}
    if path.exists():
        for part in path.read_text().split("\n## ")[1:]:
            sections[part.split("\n", 1)[0]] = "## " + part.rstrip("\n") + "\n"
    sections[database] = section
    body = "\n".join(sections[name] for name in sorted(sections, reverse=True))
    path.write_text(header + "\n" + body)
    return path


def write_report(rows: list[Row], database: str, seconds: float) -> Path:
    section = _section(rows, database, seconds)
    return replace_section(ROOT / "bench" / "CHALLENGES.md", HEADER, database, section)


def bench_app(url: str) -> FastAPI:
    """The app on a freshly migrated database, without rate limits or background jobs."""
    upgrade(url)
    settings = Settings(
        _env_file=None,
        database_url=url,
        secret_key=SecretStr("bench-secret-key-" + "x" * 48),
        rate_limit_enabled=False,
        periodic_jobs_enabled=False,
        log_level="WARNING",
    )
    return create_app(settings)


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
        app = bench_app(url)
        engine: Engine = app.state.engine
        seed_members(engine)
        challenge_id, works = seed_challenges(engine)
        client = TestClient(app)  # no lifespan: nothing runs in the background
        rows: list[Row] = []
        before = [0] * WORKS
        for size in SIZES:
            after = tallies(size)
            add_votes(engine, challenge_id, works, before, after)
            rank(engine, challenge_id)
            settle(engine)
            before = after
            rows.append(Row(votes=sum(after), timings=measure(client, challenge_id)))
            print(f"{rows[-1].votes:>9,} votes: {rows[-1].timings}", file=sys.stderr)
        engine.dispose()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    path = write_report(rows, database, time.perf_counter() - started)
    print(f"Wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
