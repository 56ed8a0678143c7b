"""Search latency at a large index: p50 and p99 of `app.search.service.search` (one
connection, in-process, no HTTP) for queries of different selectivity, and the p50 of the
CPU time the process spent.

The index is filled with synthetic documents straight into `search_documents` (without the
posts themselves: search reads only the index), with the indexer's own terms
(`text.index_terms`), so FTS5 rows and tsvectors are what real writes make. Texts are 30
words drawn from a Zipf-like vocabulary of 20,000 made-up Indonesian-looking words, so some
words are in most documents and most words in a handful, as in real text (the last word
of a query is also a prefix: `bago` finds every word beginning so). Every 20th
document is a public member profile (what anonymous callers find), the rest posts that
members see.

Filling is bulk: rows are made in Python and sent in large batches (PostgreSQL: `COPY`,
with the GIN index dropped first and built once at the end; SQLite: one transaction, the
FTS5 rows written by the table's own triggers), then the statistics are gathered.

Usage: `.venv/bin/python -m bench.search`. Environment:
  BENCH_SEARCH_DOCS     documents in the index (default 1000000)
  BENCH_REPEATS         timed searches per query (default 200)
  BENCH_DATABASE_URL    a scratch database (default: a temporary SQLite file); a database
                        that already holds exactly BENCH_SEARCH_DOCS documents is reused
"""

from __future__ import annotations

import itertools
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import create_db_engine, read_only
from app.core.migrations import upgrade
from app.core.pagination import PageParams
from app.models import Member, Role, SearchDocument, SearchType
from app.search import indexer, service, text

DOCS = int(os.environ.get("BENCH_SEARCH_DOCS", "1000000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "200"))
WARM_UPS = 5
BATCH = 20_000
PUBLIC_EVERY = 20  # one document in 20 is a public member profile
ONSETS = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "w", "j", "c", "ng", "ny"]
VOWELS = ["a", "i", "u", "e", "o"]
COLUMNS = [
    "doc_type",
    "doc_id",
    "public_from",
    "members_from",
    "title",
    "body",
    "title_terms",
    "body_terms",
    "updated_at",
]
GIN_INDEX = "ix_search_documents_document"


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.randint(2, 4)
        words.add("".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)))
    return sorted(words)


def weights(words: list[str]) -> list[float]:
    return [1 / (rank + 1) for rank in range(len(words))]


def documents(words: list[str], count: int) -> Iterator[dict[str, Any]]:
    """The synthetic documents, the same for a given count on every run and database."""
    rng = random.Random(7)
    cumulative = list(itertools.accumulate(weights(words)))
    now = utcnow()
    for n in range(1, count + 1):
        body = " ".join(rng.choices(words, cum_weights=cumulative, k=30))
        if n % 1000 == 0:
            body += " tulisan lukisan"  # 0.1 %: the word forms' queries
        public = n % PUBLIC_EVERY == 0
        title = f"Anggota {n}" if public else f"Thread {n % 5000}"
        yield {
            "doc_type": (SearchType.MEMBER if public else SearchType.POST).value,
            "doc_id": n,
            "public_from": indexer.ALWAYS if public else None,
            "members_from": indexer.ALWAYS,
            "title": title,
            "body": body,
            "title_terms": "" if not public else text.index_terms(title),
            "body_terms": text.index_terms(body),
            "updated_at": now,
        }


def batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def fill(engine: Engine, words: list[str]) -> None:
    rows = documents(words, DOCS)
    table = SearchDocument.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(table.delete())
        if engine.dialect.name == "postgresql":
            _copy(connection, rows)
        else:
            for batch in batches(rows):
                connection.execute(table.insert(), batch)
    _analyze(engine)


def _copy(connection: sa.Connection, rows: Iterator[dict[str, Any]]) -> None:
    """PostgreSQL: COPY without the GIN index, which is then built in one pass."""
    definition = connection.execute(
        sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": GIN_INDEX}
    ).scalar_one()
    connection.execute(sa.text(f"DROP INDEX {GIN_INDEX}"))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY search_documents ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in COLUMNS])
    connection.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
    connection.execute(sa.text(definition))


def _analyze(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM ANALYZE search_documents")
            )
        else:
            connection.execute(sa.text("INSERT INTO search_fts (search_fts) VALUES ('optimize')"))
            connection.execute(sa.text("ANALYZE"))
            connection.commit()


def already_filled(engine: Engine) -> bool:
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM search_documents")).scalar()
    return count == DOCS


def searcher(role: Role | None) -> Member | None:
    if role is None:
        return None
    return Member(
        id=1,
        email="b@example.com",
        handle="b",
        handle_key="b",
        display_name="B",
        password_hash="x",
        role=role,
    )


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'search.db'}"
    upgrade(url)
    engine = create_db_engine(Settings(database_url=url))
    words = vocabulary(random.Random(7))
    started = time.perf_counter()
    reused = already_filled(engine)
    if not reused:
        fill(engine, words)
    filled = time.perf_counter() - started
    frequency = weights(words)
    ranked = sorted(range(len(words)), key=lambda i: -frequency[i])
    member, anonymous = searcher(Role.MEMBER), searcher(None)
    queries: list[tuple[str, str, Member | None]] = [
        ("rare word (0.02 % of documents)", words[ranked[15_000]], member),
        ("word form: `menulis` (0.1 %, finds `tulisan`)", "menulis", member),
        ("word whose prefix is in 17 %", words[ranked[60]], member),
        ("very common word (95 %)", words[ranked[0]], member),
        ("two words, AND (2.5 %)", f"{words[ranked[5]]} {words[ranked[40]]}", member),
        ("prefix, 3 letters (15 %)", words[ranked[200]][:3], member),
        ("very common word, anonymous (public: 5 %)", words[ranked[0]], anonymous),
    ]
    rows = []
    # A GET's Session, as the app makes it: in autocommit on PostgreSQL (app.core.db.read_only).
    with Session(read_only(engine)) as session:
        for label, q, viewer in queries:
            timings, cpu, count = [], [], 0
            for i in range(REPEATS + WARM_UPS):
                t0, c0 = time.perf_counter(), time.process_time()
                items, _ = service.search(
                    session, q=q, types=None, viewer=viewer, params=PageParams(20, None)
                )
                if i >= WARM_UPS:
                    timings.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
                count = len(items)
            p50, p99 = percentiles(timings)
            rows.append(
                f"| {label} | `{q}` | {count} | {p50:.1f} | {p99:.1f} "
                f"| {statistics.median(cpu):.1f} |"
            )
    how = "reused" if reused else f"filled in {filled:.0f} s"
    print(
        f"{engine.dialect.name}, {DOCS} documents ({how}), {platform.machine()} "
        f"Python {sys.version.split()[0]}, {REPEATS} searches each, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, at {datetime.now():%H:%M}"
    )
    # CPU: this process only (SQLite's work, not PostgreSQL's server), the figure a loaded
    # machine distorts least.
    print("| query | q | items | p50 ms | p99 ms | CPU p50 ms |")
    print("|---|---|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
