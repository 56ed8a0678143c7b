"""The weekly digest over a large member set: time and peak memory of one run.

Members are generated straight into the tables (joined a month ago, no log-in since), with
a tenth of them active this week (a personal access token used yesterday) and a twentieth
with the digest switched off; the week's news is one open challenge and one upcoming event.
One `app.mail.digest.run` then writes every digest owed (the outbox rows: message, event,
delivery) in pages of 500 members. It is run twice on fresh databases: once timed, once
under tracemalloc for the peak of Python allocations, at two sizes, so that memory not
growing with the member count shows.

`.venv/bin/python -m bench.digest walk` times only the walk over the members (the query
that picks each page's members owed a digest, no mail written) two ways on one seeded
database, interleaved round by round: the run's window of ids per page, and as reference
the walk it replaced (the next `BATCH` owed members after the last, a LIMIT over the
filters), which PostgreSQL planned as a filter and sort of every remaining member per page.

Usage: `.venv/bin/python -m bench.digest [walk]`. Environment:
  BENCH_DIGEST_MEMBERS   members of the large set (default 100000); the small set is a fifth
  BENCH_DATABASE_URL     a scratch PostgreSQL database (default: temporary SQLite files)
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
import tracemalloc
from datetime import timedelta
from typing import Any

from pydantic import SecretStr
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.config import Settings
from app.mail import digest
from app.models import Challenge, Event, MailSettings, Member, PersonalAccessToken
from bench import run
from bench.challenges import insert_rows, member_row, table_of

MEMBERS = int(os.environ.get("BENCH_DIGEST_MEMBERS", "100000"))
NOW = utcnow()


def _fresh_engine() -> Any:
    url = run.scratch_url("digest")
    settings = Settings(_env_file=None, database_url=url, secret_key=SecretStr("bench-" + "x" * 64))
    news = ("challenges", "events", "mail_digests")
    outbox = ("mail_messages", "webhook_events", "webhook_deliveries")
    return run.scratch_engine(settings, ("members", *news, *outbox))


def seed(engine: Any, members: int) -> None:
    joined = NOW - timedelta(days=30)
    insert_rows(
        engine, table_of(Member), (member_row(n, joined_at=joined) for n in range(1, members + 1))
    )
    insert_rows(
        engine,
        table_of(PersonalAccessToken),
        (
            {
                "member_id": n,
                "name": "bench",
                "token_hash": f"{n:064d}",
                "token_hint": "bench",
                "scopes": ["read"],
                "created_at": joined,
                "last_used_at": NOW - timedelta(days=1),
            }
            for n in range(1, members + 1, 10)
        ),
    )
    insert_rows(
        engine,
        table_of(MailSettings),
        (
            {"member_id": n, "digest": "off", "email": {}, "updated_at": joined}
            for n in range(5, members + 1, 20)
        ),
    )
    with Session(engine) as session:
        session.add(
            Challenge(
                title="Kota Tua",
                theme="old town",
                discipline="illustration",
                submissions_open_at=NOW - timedelta(days=1),
                submissions_close_at=NOW + timedelta(days=6),
                voting_close_at=NOW + timedelta(days=9),
                published=True,
            )
        )
        session.add(
            Event(
                title="Sketch walk",
                kind="meetup",
                status="published",
                starts_at=NOW + timedelta(days=3),
                ends_at=NOW + timedelta(days=3, hours=2),
                timezone="Asia/Jakarta",
                city="Bandung",
                city_key="bandung",
            )
        )
        session.commit()


def one_run(members: int, *, trace: bool) -> tuple[float, int, int]:
    engine = _fresh_engine()
    seed(engine, members)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with Session(engine) as session:
        result = digest.run(session, now=NOW)
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    engine.dispose()
    return elapsed, peak, result.mailed


def _walk_by_limit(session: Session, week: str) -> int:
    """The reference: each page asks for the next BATCH owed members (LIMIT over the filters)."""
    after, seen = 0, 0
    while True:
        owed = digest._owed(after, 2**31 - 1, NOW, week).limit(digest.BATCH)
        rows = session.execute(owed).all()
        if not rows:
            return seen
        after, seen = rows[-1][0], seen + len(rows)


def _walk_by_window(session: Session, week: str) -> int:
    """The run's walk: each page reads the owed members of its window of BATCH ids."""
    after, seen = 0, 0
    while (upto := digest._window_end(session, after, digest.BATCH)) is not None:
        seen += len(session.execute(digest._owed(after, upto, NOW, week)).all())
        after = upto
    return seen


def compare_walks(rounds: int = 3) -> None:
    """Both walks over the same members, alternating, as fresh after seeding as a run is."""
    engine = _fresh_engine()
    seed(engine, MEMBERS)
    week = digest.week_of(NOW)
    timings: dict[str, list[float]] = {"limit (reference)": [], "window": []}
    for _ in range(rounds):
        for name, walk in (("limit (reference)", _walk_by_limit), ("window", _walk_by_window)):
            with Session(engine) as session:
                started = time.perf_counter()
                seen = walk(session, week)
                timings[name].append(time.perf_counter() - started)
            print(f"{name}: {seen} members owed, {timings[name][-1]:.2f} s")
    for name, values in timings.items():
        print(f"{name}: median {sorted(values)[len(values) // 2]:.2f} s over {rounds} rounds")
    print(f"load average: {os.getloadavg()}")
    engine.dispose()


def main() -> None:
    print(f"python {sys.version.split()[0]} on {platform.machine()}, {os.cpu_count()} cpus")
    print(f"database: {os.environ.get('BENCH_DATABASE_URL', 'SQLite (temporary file)')}")
    for members in (MEMBERS // 5, MEMBERS):
        seconds, _peak, mailed = one_run(members, trace=False)
        _seconds, peak, _mailed = one_run(members, trace=True)
        print(
            f"{members:>7} members: {mailed} digests written in {seconds:.1f} s "
            f"({mailed / seconds:.0f}/s); peak Python allocations {peak / 2**20:.1f} MiB"
        )
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    compare_walks() if sys.argv[1:] == ["walk"] else main()
