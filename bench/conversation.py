"""The notification feed after an announcement, at 1k, 10k and 100k members: it must stay flat.

Announcements fan out on read: posting one writes one row, and each member's next feed read
copies what they have not seen into their notifications (app.notifications.service). This
benchmark grows the community with bulk Core inserts (never the API) and, at each size,
times through the whole HTTP stack in-process (TestClient, no network):
- posting an announcement (`POST /api/v1/announcements`, an organizer);
- a member's first read after it, which catches their feed up (`GET …/unread-count`, each
  sample a different member who joined before the announcement);
- a caught-up member's `GET /api/v1/notifications` and `GET …/unread-count`.
Each batch of members joins just before that size's announcements, so every first read
copies the same number of announcements: what could grow is only the member count.

Usage: `.venv/bin/python -m bench.conversation`. Environment:
  BENCH_MEMBER_SIZES   community sizes to measure at (default 1000,10000,100000)
  BENCH_REPEATS        timed requests per scenario and size (default 100)
  BENCH_DATABASE_URL   a scratch PostgreSQL database (default: a temporary SQLite file)
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.auth import service as auth
from app.models import AuthSession, Member, Role
from app.principal.changes import principals_changed
from bench.challenges import (
    REPEATS,
    ROOT,
    bench_app,
    insert_rows,
    member_row,
    replace_section,
    settle,
    table_of,
    time_requests,
)

SIZES = [int(n) for n in os.environ.get("BENCH_MEMBER_SIZES", "1000,10000,100000").split(",")]
ANNOUNCEMENTS_TIMED = 20  # per size, after three warm-up posts
Headers = dict[str, str]


@dataclass
class Row:
    members: int
    timings: dict[str, tuple[float, float]]  # scenario -> (median ms, p90 ms)


def grow_members(engine: Engine, start: int, end: int) -> None:
    """Members `start`..`end - 1`, joining now (so before this size's announcements)."""
    joined = datetime.now(UTC)
    rows = (member_row(n, joined_at=joined) for n in range(start, end))
    insert_rows(engine, table_of(Member), rows)


def headers_for(engine: Engine, app_settings: object, handles: list[str]) -> list[Headers]:
    """Log-ins for these members, issued directly (no password hashing)."""
    made = []
    with Session(engine) as session:
        found = dict(
            session.exec(
                select(Member.handle_key, Member.id).where(col(Member.handle_key).in_(handles))
            ).all()
        )
        for handle in handles:  # in the order asked for
            member_id = found[handle]
            assert member_id is not None
            login = AuthSession(member_id=member_id)
            session.add(login)
            session.flush()
            assert login.id is not None
            pair = auth.issue_tokens(
                session,
                app_settings,  # type: ignore[arg-type]
                member_id=member_id,
                session_id=login.id,
            )
            made.append({"Authorization": f"Bearer {pair.access_token}"})
        session.commit()
    return made


def make_organizer(engine: Engine) -> None:
    with Session(engine) as session:
        member = session.exec(select(Member).where(Member.handle_key == "m1")).one()
        member.role = Role.ORGANIZER
        session.add(member)
        principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
        session.commit()


def measure(
    client: TestClient, organizer: Headers, first_readers: list[Headers], reader: Headers
) -> dict[str, tuple[float, float]]:
    body = {"title": "The year-end exhibition", "body": "At Galeri Kota, 20 December."}
    posted = time_requests(
        lambda: client.post("/api/v1/announcements", json=body, headers=organizer),
        repeats=ANNOUNCEMENTS_TIMED,
        status=201,
    )
    unread = "/api/v1/notifications/unread-count"
    pending = iter(first_readers)
    first = time_requests(lambda: client.get(unread, headers=next(pending)))
    return {
        "POST announcement": posted,
        "first read after it (catch-up)": first,
        "GET notifications": time_requests(
            lambda: client.get("/api/v1/notifications", params={"limit": 20}, headers=reader)
        ),
        "GET unread-count": time_requests(lambda: client.get(unread, headers=reader)),
    }


HEADER = f"""# Conversation benchmark: the notification feed as the community grows

An organizer posts announcements to a community of 1k, then 10k, then 100k members
(members bulk-inserted). Each cell is the median (p90) in milliseconds through the whole
HTTP stack in-process (FastAPI TestClient, one thread, no network): posting an announcement
({ANNOUNCEMENTS_TIMED} timed after 3 warm-up posts at each size), the first feed read of
{REPEATS} different members after it (each copies the announcements into their own feed),
and {REPEATS} reads of a caught-up member's feed and unread count. Regenerate with
`.venv/bin/python -m bench.conversation` (SQLite) or with `BENCH_DATABASE_URL` set to a
scratch PostgreSQL database; each run replaces its own database's section.

Why flat: an announcement is one row, never a notification per member (fan-out on read).
A read first compares the member's `announcements_seen_id` with the newest announcement's
id (the end of the primary key); only when it is behind does it copy the newer
announcements into that member's notifications (one INSERT … ON CONFLICT DO NOTHING) and
move the watermark, in a short transaction of its own. Every query is per member on an
index, so nothing depends on the number of members. On a busy machine (load averages of 6
to 12 on 2 cores) single cells jitter by tens of milliseconds: compare runs with a low load
average. One-off probes timing each SQL statement at 1k and 100k members found them flat:
the SQLite POST's statements take about 0.3 ms at both sizes, and on PostgreSQL the caught-up
reads' statements (member, newest announcement, the page, the count) 0.6 to 1.2 ms at 1k and
0.6 to 0.8 ms at 100k; the rest is the in-process HTTP stack (authentication, logging,
serialization), which `make bench` and `python -m bench.profile` profile (bench/ANALYSIS.md).
"""


def _section(rows: list[Row], database: str, seconds: float) -> str:
    scenarios = list(rows[0].timings)
    lines = [
        f"## {database}",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} with "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; seeding and measuring "
        f"took {seconds:.0f} s; load average {os.getloadavg()[0]:.1f} at the end (the machine "
        "is shared, so cells jitter; what matters is that no column grows with the members).",
        "",
        "| members | " + " | ".join(scenarios) + " |",
        "|---:|" + "---:|" * len(scenarios),
    ]
    for row in rows:
        cells = [f"{row.timings[s][0]:.1f} ({row.timings[s][1]:.1f})" for s in scenarios]
        lines.append(f"| {row.members:,} | " + " | ".join(cells) + " |")
    first, last = rows[0], rows[-1]
    ratios = ", ".join(f"{s} {last.timings[s][0] / first.timings[s][0]:.2f}x" for s in scenarios)
    lines += ["", f"Median at {last.members:,} members over {first.members:,}: {ratios}.", ""]
    return "\n".join(lines)


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
        app = bench_app(url)
        engine: Engine = app.state.engine
        client = TestClient(app)  # no lifespan: nothing runs in the background
        rows: list[Row] = []
        have = 0
        organizer: Headers = {}
        reader: Headers = {}
        for size in SIZES:
            grow_members(engine, have + 1, size + 1)
            if not have:
                make_organizer(engine)
                organizer, reader = headers_for(engine, app.state.settings, ["m1", "m2"])
            # Members of this batch who have never read their feed.
            batch = [f"m{n}" for n in range(have + 3, have + 3 + REPEATS + 3)]  # + warm-ups
            first_readers = headers_for(engine, app.state.settings, batch)
            have = size
            settle(engine)
            rows.append(
                Row(members=size, timings=measure(client, organizer, first_readers, reader))
            )
            print(f"{size:>9,} members: {rows[-1].timings}", file=sys.stderr)
        engine.dispose()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    section = _section(rows, database, time.perf_counter() - started)
    path = replace_section(ROOT / "bench" / "CONVERSATION.md", HEADER, database, section)
    print(f"Wrote {Path(path).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
