"""Search latency at a large index: p50 and p99 of `app.search.service.search` (one
connection, in-process, no HTTP) for queries of different selectivity.

The index is filled with synthetic posts straight into `search_documents` through the
indexer's own `write()` (the same terms, FTS5 rows and tsvectors as real writes), without
the posts themselves: search reads only the index. Texts are 30 words drawn from a Zipf-like
vocabulary of 20,000 made-up Indonesian-looking words, so some words are in most posts and
most words in few, as in real text.

Usage: `.venv/bin/python -m bench.search`. Environment:
  BENCH_SEARCH_DOCS     documents in the index (default 200000)
  BENCH_REPEATS         timed searches per query (default 200)
  BENCH_DATABASE_URL    a scratch PostgreSQL database (default: a temporary SQLite file)
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text as sql
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import create_db_engine
from app.core.migrations import upgrade
from app.core.pagination import PageParams
from app.models import Member, Role, SearchType
from app.search import indexer, service

DOCS = int(os.environ.get("BENCH_SEARCH_DOCS", "200000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "200"))
ONSETS = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "w", "j", "c", "ng", "ny"]
VOWELS = ["a", "i", "u", "e", "o"]


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.randint(2, 4)
        words.add("".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)))
    return sorted(words)


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'search.db'}"
    upgrade(url)
    engine = create_db_engine(Settings(database_url=url))
    rng = random.Random(7)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    started = time.perf_counter()
    with Session(engine) as session:
        session.connection().execute(sql("DELETE FROM search_documents"))
        batch: list[indexer.Document] = []
        for n in range(1, DOCS + 1):
            body = " ".join(rng.choices(words, weights, k=30))
            if n % 1000 == 0:
                body += " tulisan lukisan"  # 0.1 %: the word forms' queries
            batch.append(
                indexer.Document(
                    SearchType.POST, n, None, indexer.ALWAYS, f"Thread {n % 5000}", body
                )
            )
            if len(batch) == 5000:
                indexer.write(session, batch)
                batch.clear()
        indexer.write(session, batch)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                sql("VACUUM ANALYZE search_documents")
            )
    fill = time.perf_counter() - started
    ranked = sorted(range(len(words)), key=lambda i: -weights[i])
    queries = {
        "common word (in ~30% of posts)": words[ranked[0]],
        "mid word (~1%)": words[ranked[60]],
        "rare word (~0.01%)": words[ranked[15_000]],
        "two words AND": f"{words[ranked[5]]} {words[ranked[40]]}",
        "word form: menulis": "menulis",
        "prefix, 3 letters": words[ranked[200]][:3],
    }
    viewer = Member(
        id=1,
        email="b@example.com",
        handle="b",
        handle_key="b",
        display_name="B",
        password_hash="x",
        role=Role.MEMBER,
    )
    rows = []
    with Session(engine) as session:
        for label, q in queries.items():
            timings = []
            count = 0
            for i in range(REPEATS + 5):
                t0 = time.perf_counter()
                items, _ = service.search(
                    session, q=q, types=None, viewer=viewer, params=PageParams(20, None)
                )
                if i >= 5:
                    timings.append((time.perf_counter() - t0) * 1000)
                count = len(items)
            timings.sort()
            p50 = statistics.median(timings)
            p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
            rows.append(f"| {label} | `{q}` | {count} | {p50:.1f} | {p99:.1f} |")
    print(
        f"{engine.dialect.name}, {DOCS} documents, filled in {fill:.0f} s, "
        f"{platform.machine()} Python {sys.version.split()[0]}, {REPEATS} searches each"
    )
    print("| query | q | items | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
