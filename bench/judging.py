"""Results of a judged (combined) challenge: 1,000 works, 10 jurors and 100k votes against a
small one (20 works, 2 jurors, 200 votes: one first page). The target: within 2x.

Seeds a fresh database with bulk Core inserts, as bench/challenges.py does: members, two
closed challenges in `combined` mode (jury weight 0.6, three criteria), their works, every
juror's score of every work (`jury_scores`) with the per-work sums the app keeps in each
score's transaction (`submissions.jury_total`, `juror_count`, `submission_criterion_scores`)
and the votes with their tallies. Each challenge is then ranked as at closing (the one-off
step that writes every work's `ranking_score`, timed too), and its results are timed through
the whole HTTP stack in-process (TestClient, one thread, no network): the first page
(limit 20) of both, and of the large one page 11 and a full page of 100. Writes bench/JUDGING.md.

Usage: `.venv/bin/python -m bench.judging`. Environment:
  BENCH_REPEATS        timed requests per scenario (default 100)
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
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.models import Challenge, JuryScore, Submission, SubmissionCriterionScore, Vote
from bench.challenges import (
    MEMBERS,
    NOW,
    REPEATS,
    ROOT,
    _challenge_row,
    _deep_cursor,
    _work_row,
    insert_rows,
    rank,
    replace_section,
    seed_members,
    settle,
    table_of,
    time_requests,
)

CRITERIA = [
    {"key": "concept", "title": "Concept", "weight": 2},
    {"key": "craft", "title": "Craft", "weight": 1},
    {"key": "theme", "title": "Theme", "weight": 1},
]


@dataclass(frozen=True)
class Shape:
    name: str
    works: int
    jurors: int
    votes: int


SMALL = Shape("small", works=20, jurors=2, votes=200)
LARGE = Shape("large", works=1000, jurors=10, votes=100_000)


def seed_judged(engine: Engine, shape: Shape, index: int, rng: random.Random) -> int:
    """A closed combined challenge of this shape; returns its id."""
    jurors = list(range(MEMBERS - shape.jurors + 1, MEMBERS + 1))  # the last members
    row = {
        **_challenge_row(index, "photography"),
        "title": f"Judged {shape.name}",
        "judging": {
            "mode": "combined",
            "jury_weight": 0.6,
            "criteria": CRITERIA,
            "juror_ids": jurors,
        },
    }
    insert_rows(engine, table_of(Challenge), iter([row]))
    challenges = table_of(Challenge)
    with engine.connect() as connection:
        challenge_id: int = connection.scalar(sa.select(sa.func.max(challenges.c.id))) or 0
    insert_rows(
        engine,
        table_of(Submission),
        (_work_row(challenge_id, m + 1) for m in range(shape.works)),
    )
    submissions = table_of(Submission)
    with engine.connect() as connection:
        works = list(
            connection.scalars(
                sa.select(submissions.c.id)
                .where(submissions.c.challenge_id == challenge_id)
                .order_by(submissions.c.id)
            )
        )
    _seed_scores(engine, challenge_id, works, jurors, rng)
    _seed_votes(engine, challenge_id, works, shape.votes, rng)
    return challenge_id


def _seed_scores(
    engine: Engine, challenge_id: int, works: list[int], jurors: list[int], rng: random.Random
) -> None:
    scores: list[dict[str, Any]] = []
    sums: dict[tuple[int, str], int] = {}
    totals: dict[int, int] = {}
    for work in works:
        for juror in jurors:
            given = {str(c["key"]): rng.randint(1, 10) for c in CRITERIA}
            total = sum(int(str(c["weight"])) * given[str(c["key"])] for c in CRITERIA)
            scores.append(
                {
                    "challenge_id": challenge_id,
                    "submission_id": work,
                    "juror_id": juror,
                    "scores": given,
                    "total": total,
                    "note": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            totals[work] = totals.get(work, 0) + total
            for key, value in given.items():
                sums[work, key] = sums.get((work, key), 0) + value
    insert_rows(engine, table_of(JuryScore), iter(scores))
    insert_rows(
        engine,
        table_of(SubmissionCriterionScore),
        (
            {"submission_id": work, "criterion_key": key, "score_sum": value}
            for (work, key), value in sums.items()
        ),
    )
    with engine.begin() as connection:
        connection.execute(
            sa.update(table_of(Submission))
            .where(table_of(Submission).c.id == sa.bindparam("work"))
            .values(jury_total=sa.bindparam("total"), juror_count=len(jurors)),
            [{"work": work, "total": total} for work, total in totals.items()],
        )


def _seed_votes(
    engine: Engine, challenge_id: int, works: list[int], votes: int, rng: random.Random
) -> None:
    """About `votes` votes, a work's voters a run of members (at most one vote each)."""
    weights = [rng.uniform(0.5, 1.5) for _ in works]
    scale = votes / sum(weights)
    tallies = [min(MEMBERS, round(w * scale)) for w in weights]
    insert_rows(
        engine,
        table_of(Vote),
        (
            {"challenge_id": challenge_id, "submission_id": work, "member_id": m, "created_at": NOW}
            for work, tally in zip(works, tallies, strict=True)
            for m in range(1, tally + 1)
        ),
    )
    with engine.begin() as connection:
        connection.execute(
            sa.update(table_of(Submission))
            .where(table_of(Submission).c.id == sa.bindparam("work"))
            .values(vote_count=sa.bindparam("tally")),
            [{"work": w, "tally": t} for w, t in zip(works, tallies, strict=True)],
        )


SCENARIOS = ("first page (20)", "page 11 (20)", "full page (100)")


def measure(client: TestClient, challenge_id: int, works: int) -> dict[str, tuple[float, float]]:
    """The small challenge has one page of 20; the large one is also read deep and whole."""
    results = f"/api/v1/challenges/{challenge_id}/results"
    timings = {"first page (20)": time_requests(lambda: client.get(results, params={"limit": 20}))}
    if works > 220:
        deep = _deep_cursor(client, results, 10)
        timings["page 11 (20)"] = time_requests(
            lambda: client.get(results, params={"limit": 20, "cursor": deep})
        )
        timings["full page (100)"] = time_requests(
            lambda: client.get(results, params={"limit": 100})
        )
    return timings


HEADER = f"""# Judging benchmark: results of a combined challenge as works, jurors and votes grow

Two closed `combined` challenges (jury weight 0.6, three criteria): a small one
({SMALL.works} works, {SMALL.jurors} jurors, {SMALL.votes} votes) and a large one
({LARGE.works:,} works, {LARGE.jurors} jurors, {LARGE.votes:,} votes, so
{LARGE.works * LARGE.jurors:,} jury scores). Rows are bulk-inserted with the per-work sums
the app keeps in each score's and vote's transaction. Each cell is the median (p90) in
milliseconds of {REPEATS} requests of `GET /challenges/{{id}}/results` through the whole HTTP
stack in-process (FastAPI TestClient, one thread, no network, anonymous, with the public
cache of anonymous answers turned off so every request computes its page). Regenerate with
`.venv/bin/python -m bench.judging` (SQLite) or with `BENCH_DATABASE_URL` set to a scratch
PostgreSQL database; each run replaces its own database's section. Target: the large
challenge within 2x of the small one.

Why flat: at closing the ranking reads every work's maintained sums once and writes its
final score (`ranking_score`, in millionths); results then walk the (challenge_id,
ranking_score, id) index a page at a time, with one COUNT for the first rank, one indexed
MAX for the top vote count and one read of the page's per-criterion sums. No request reads
`jury_scores` or `votes`. "ranking at closing" is that one-off step (once per closing, in
the sweep's transaction), which does grow with the works. The
runs shared two cores with other work, so the p90s are noisy; compare the medians.
"""


def _cell(timing: tuple[float, float] | None) -> str:
    return f"{timing[0]:.1f} ({timing[1]:.1f})" if timing else "–"


def _section(
    database: str, rows: dict[str, dict[str, tuple[float, float]]], ranking_ms: dict[str, float]
) -> str:
    lines = [
        f"## {database}",
        "",
        f"Run {NOW:%Y-%m-%d %H:%M} UTC on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.",
        "",
        "| challenge | " + " | ".join(SCENARIOS) + " | ranking at closing |",
        "|---|" + "---:|" * (len(SCENARIOS) + 1),
    ]
    for shape in (SMALL, LARGE):
        cells = [_cell(rows[shape.name].get(s)) for s in SCENARIOS]
        cells.append(f"{ranking_ms[shape.name]:.0f}")
        label = f"{shape.name}: {shape.works:,} works, {shape.jurors} jurors, {shape.votes:,} votes"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    small = rows[SMALL.name]["first page (20)"][0]
    first, deep = (rows[LARGE.name][s][0] / small for s in SCENARIOS[:2])
    lines += [
        "",
        f"Median of a page of 20, large over small: first page {first:.2f}x, page 11 {deep:.2f}x.",
        "",
    ]
    return "\n".join(lines)


def _app(url: str) -> FastAPI:
    """bench_app's app without the public cache: every request computes its page."""
    upgrade(url)
    settings = Settings(
        _env_file=None,
        database_url=url,
        secret_key=SecretStr("bench-secret-key-" + "x" * 48),
        rate_limit_enabled=False,
        periodic_jobs_enabled=False,
        public_cache_seconds=0,
        log_level="WARNING",
    )
    return create_app(settings)


def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as scratch:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
        app = _app(url)
        engine: Engine = app.state.engine
        seed_members(engine)
        ids = {
            shape.name: seed_judged(engine, shape, i, rng) for i, shape in enumerate((SMALL, LARGE))
        }
        ranking_ms = {}
        for name, challenge_id in ids.items():
            started = time.perf_counter()
            rank(engine, challenge_id)
            ranking_ms[name] = (time.perf_counter() - started) * 1000
        settle(engine)
        client = TestClient(app)
        rows = {
            shape.name: measure(client, ids[shape.name], shape.works) for shape in (SMALL, LARGE)
        }
        print(rows, ranking_ms, file=sys.stderr)
        engine.dispose()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    path = replace_section(
        ROOT / "bench" / "JUDGING.md", HEADER, database, _section(database, rows, ranking_ms)
    )
    print(f"Wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
