"""Deterministic data sets for the HTTP benchmark (bench.run), seeded by bulk Core inserts.

Two sizes: `small` (1k members, 10k votes) and `large` (100k members, 10k submissions, 1M
votes, 1M activities). Everything the app maintains is set consistently with the rows:
works' `vote_count`, vote budgets, challenges' submission and participant counts,
participants, winners and showcase flags (the ranking's output), the point totals and
contribution counts (through `recognition.record_history`, the app's own bulk path) and the
badges those counts have earned. Only the handful of single
rows (an event, an announcement) go through the ORM.

What a benchmark needs to address is returned as a `Seeded` (ids and the tokens' secrets).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.security import PAT_PREFIX, hash_secret
from app.models import (
    Announcement,
    Badge,
    BadgeKind,
    Challenge,
    ChallengeParticipant,
    ContributionKind,
    Event,
    Member,
    PersonalAccessToken,
    Submission,
    Vote,
    VoteBudget,
)
from app.models.recognition import ContributionCount
from app.recognition import badges
from app.recognition import service as recognition
from bench.challenges import insert_rows, member_row, table_of

NOW = datetime.now(UTC).replace(microsecond=0)
CLOSED_CHALLENGES = 10  # each gets a tenth of the works and of the votes
VOTING_WORKS = 200  # works in the challenge open for voting (the PUT vote scenario)
MAX_TOKENS = 2000  # members with a personal access token (the load cycles through them)
KINDS = [ContributionKind.COMMENT] * 4 + [
    ContributionKind.POST,
    ContributionKind.SUBMISSION,
    ContributionKind.EVENT_ATTENDED,
    ContributionKind.VOTE,
]


@dataclass(frozen=True)
class Size:
    name: str
    members: int
    submissions: int
    votes: int
    activities: int


SIZES = {
    "small": Size("small", members=1_000, submissions=100, votes=10_000, activities=10_000),
    # What a shared 2-core machine seeds in about two minutes per database; large takes
    # longer than a benchmark round can wait on SQLite (1M activities with their totals).
    "medium": Size("medium", members=20_000, submissions=2_000, votes=100_000, activities=100_000),
    "large": Size(
        "large", members=100_000, submissions=10_000, votes=1_000_000, activities=1_000_000
    ),
}


@dataclass(frozen=True)
class Seeded:
    size: Size
    tokens: list[str]  # PAT secrets of members 1..len(tokens); member 1 is an organizer
    closed_challenge_id: int
    closed_work_id: int
    voting_challenge_id: int
    voting_work_ids: list[int]
    event_id: int


def token_secret(member_id: int) -> str:
    """A deterministic, high-entropy-looking personal access token for member `member_id`."""
    return PAT_PREFIX + hashlib.sha256(f"bench-token-{member_id}".encode()).hexdigest()[:43]


def _challenge_row(index: int, *, closes: datetime, voting_close: datetime) -> dict[str, Any]:
    return {
        "title": f"Challenge {index}",
        "theme": "Bench",
        "description": "A benchmark challenge.",
        "discipline": ["photography", "writing", "design", "illustration"][index % 4],
        "submissions_open_at": closes - timedelta(days=7),
        "submissions_close_at": closes,
        "voting_close_at": voting_close,
        "max_submissions_per_member": 1,
        "votes_per_member": 3,
        "winners_count": 3,
        "published": True,
        "submission_count": 0,
        "participant_count": 0,
        "created_by_id": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _work_row(challenge_id: int, member_id: int, n: int) -> dict[str, Any]:
    return {
        "challenge_id": challenge_id,
        "member_id": member_id,
        "title": f"Work {n}",
        "description": "A benchmark work, with a sentence of description.",
        "content": "",
        "media_urls": ["https://img.example.com/w.jpg"],
        "license": "CC-BY-4.0",
        "anthology_consent": False,
        "vote_count": 0,
        "featured": False,
        "disqualified": False,
        "is_winner": False,
        "created_at": NOW - timedelta(minutes=n),
        "updated_at": NOW - timedelta(minutes=n),
    }


def _ids(engine: Engine, table: sa.Table, where: Any) -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(sa.select(table.c.id).where(where).order_by(table.c.id)))


def seed_members(engine: Engine, size: Size) -> list[str]:
    insert_rows(engine, table_of(Member), (member_row(n) for n in range(1, size.members + 1)))
    members = table_of(Member)
    with engine.begin() as connection:
        connection.execute(sa.update(members).where(members.c.id == 1).values(role="organizer"))
    count = min(MAX_TOKENS, size.members - VOTING_WORKS)
    tokens = [token_secret(n) for n in range(1, count + 1)]
    rows = (
        {
            "member_id": n,
            "name": "bench",
            "token_hash": hash_secret(secret),
            "token_hint": secret[-4:],
            "scopes": ["read", "write"],
            "created_at": NOW,
            # Recently used, so reads do not stop to record the use (once a minute, as live).
            "last_used_at": NOW + timedelta(days=1),
        }
        for n, secret in enumerate(tokens, start=1)
    )
    insert_rows(engine, table_of(PersonalAccessToken), rows)
    return tokens


def _votes_for(works: list[int], total: int, members: int) -> Iterator[tuple[int, int]]:
    """(work, voter) pairs: a linear popularity curve (the best work gets about 3x the
    least), each member voting once in the challenge, so budgets stay within 3."""
    weights = [len(works) * 3 // 2 - i for i in range(len(works))]
    scale = total / sum(weights)
    voter = 0
    for work, weight in zip(works, weights, strict=True):
        for _ in range(round(weight * scale)):
            if voter == members:
                return
            voter += 1
            yield work, voter


def seed_closed_challenges(engine: Engine, size: Size) -> tuple[int, int]:
    """Closed, ranked challenges with their works, votes, budgets and tallies."""
    challenges, submissions = table_of(Challenge), table_of(Submission)
    rows = [
        _challenge_row(
            i,
            closes=NOW - timedelta(days=30 + 10 * i),
            voting_close=NOW - timedelta(days=20 + 10 * i),
        )
        for i in range(CLOSED_CHALLENGES)
    ]
    insert_rows(engine, challenges, iter(rows))
    ids = _ids(engine, challenges, challenges.c.voting_close_at < NOW)
    works_each = (size.submissions - VOTING_WORKS) // CLOSED_CHALLENGES
    if works_each < 10:
        works_each = size.submissions // CLOSED_CHALLENGES
    for index, challenge_id in enumerate(ids):
        works = (
            _work_row(challenge_id, (index * works_each + k) % size.members + 1, k)
            for k in range(works_each)
        )
        insert_rows(engine, submissions, works)
        work_ids = _ids(engine, submissions, submissions.c.challenge_id == challenge_id)
        _seed_votes(engine, challenge_id, work_ids, size, rows[index]["voting_close_at"])
    first_works = _ids(engine, submissions, submissions.c.challenge_id == ids[0])
    return ids[0], first_works[0]


def _seed_votes(
    engine: Engine, challenge_id: int, works: list[int], size: Size, closed: datetime
) -> None:
    pairs = list(_votes_for(works, size.votes // CLOSED_CHALLENGES, size.members))
    insert_rows(
        engine,
        table_of(Vote),
        (
            {"challenge_id": challenge_id, "submission_id": w, "member_id": m, "created_at": NOW}
            for w, m in pairs
        ),
    )
    insert_rows(
        engine,
        table_of(VoteBudget),
        (
            {"challenge_id": challenge_id, "member_id": m, "allowance": 3, "used": 1}
            for _, m in pairs
        ),
    )
    tally: dict[int, int] = dict.fromkeys(works, 0)
    for work, _ in pairs:
        tally[work] += 1
    winners = set(sorted(works, key=lambda w: (-tally[w], w))[:3])
    submissions, challenges = table_of(Submission), table_of(Challenge)
    with engine.begin() as connection:
        connection.execute(
            sa.update(submissions)
            .where(submissions.c.id == sa.bindparam("work"))
            .values(
                vote_count=sa.bindparam("tally"),
                is_winner=sa.bindparam("winner"),
                showcased_at=sa.bindparam("showcased"),
            ),
            [
                {
                    "work": w,
                    "tally": tally[w],
                    "winner": w in winners,
                    "showcased": closed if w in winners else None,
                }
                for w in works
            ],
        )
        _count_participants(connection, challenge_id)
        connection.execute(
            sa.update(challenges)
            .where(challenges.c.id == challenge_id)
            .values(
                ranked_at=closed,
                opened_announced_at=closed,
                voting_announced_at=closed,
                closed_announced_at=closed,
            )
        )


def _count_participants(connection: sa.Connection, challenge_id: int) -> None:
    submissions, challenges = table_of(Submission), table_of(Challenge)
    authors = list(
        connection.execute(
            sa.select(submissions.c.member_id, sa.func.count())
            .where(submissions.c.challenge_id == challenge_id)
            .group_by(submissions.c.member_id)
        )
    )
    connection.execute(
        sa.insert(table_of(ChallengeParticipant)),
        [{"challenge_id": challenge_id, "member_id": m, "submission_count": n} for m, n in authors],
    )
    connection.execute(
        sa.update(challenges)
        .where(challenges.c.id == challenge_id)
        .values(submission_count=sum(n for _, n in authors), participant_count=len(authors))
    )


def seed_voting_challenge(engine: Engine, size: Size) -> tuple[int, list[int]]:
    """A challenge open for voting, its works by the last members (never the voters), with
    a budget large enough that the load never exhausts it."""
    challenges, submissions = table_of(Challenge), table_of(Submission)
    row = _challenge_row(99, closes=NOW - timedelta(days=1), voting_close=NOW + timedelta(days=30))
    row["votes_per_member"] = VOTING_WORKS
    row["opened_announced_at"] = row["voting_announced_at"] = NOW - timedelta(days=1)
    insert_rows(engine, challenges, iter([row]))
    challenge_id = _ids(engine, challenges, challenges.c.voting_close_at > NOW)[0]
    authors = range(size.members - VOTING_WORKS + 1, size.members + 1)
    insert_rows(engine, submissions, (_work_row(challenge_id, m, k) for k, m in enumerate(authors)))
    with engine.begin() as connection:
        _count_participants(connection, challenge_id)
    return challenge_id, _ids(engine, submissions, submissions.c.challenge_id == challenge_id)


def seed_activities(engine: Engine, size: Size) -> None:
    """Contributions over the last year, a fifth of the members making most of them."""
    rng = random.Random(12)
    chunk = 20_000
    for start in range(0, size.activities, chunk):
        entries = [
            recognition.PastContribution(
                member_id=(
                    rng.randint(1, max(1, size.members // 5))
                    if rng.random() < 0.7
                    else rng.randint(1, size.members)
                ),
                kind=rng.choice(KINDS),
                source_id=source,
                occurred_at=NOW - timedelta(seconds=rng.randint(60, 365 * 86_400)),
            )
            for source in range(start, min(size.activities, start + chunk))
        ]
        with Session(engine) as session:
            recognition.record_history(session, entries)
            session.commit()


# The badges a count earns (app.recognition.subscribers awards them as the count reaches it).
EARNED_BY_COUNT = (
    (ContributionKind.COMMENT, badges.COMMENTS_NEEDED, badges.TEN_COMMENTS),
    (ContributionKind.EVENT_ATTENDED, badges.EVENTS_NEEDED, badges.FIVE_EVENTS),
)


def seed_badges(engine: Engine) -> None:
    """The badges the seeded contributions earned, as the app would have awarded them: a
    member past a rule's number has its badge (else their next comment would earn it, a
    cost no real community pays on every comment)."""
    counts, table = table_of(ContributionCount), table_of(Badge)
    with engine.begin() as connection:
        for kind, needed, code in EARNED_BY_COUNT:
            earned = sa.select(
                sa.literal(BadgeKind.AUTOMATIC.value),
                counts.c.member_id,
                sa.literal(code),
                sa.literal(badges.TITLES[code]),
                sa.literal("earned by the seeded history"),
                sa.literal(NOW, table.c.awarded_at.type),
            ).where(counts.c.kind == kind.value, counts.c.count >= needed)
            connection.execute(
                sa.insert(table).from_select(
                    ["kind", "member_id", "code", "title", "reason", "awarded_at"], earned
                )
            )


def seed_single_rows(engine: Engine) -> tuple[int, int]:
    """The event members RSVP to, and an announcement to everyone (read-time fan-out)."""
    with Session(engine) as session:
        event = Event(
            title="Open studio",
            description="Bring work in progress.",
            kind="meetup",
            status="published",
            starts_at=NOW + timedelta(days=7),
            ends_at=NOW + timedelta(days=7, hours=2),
            timezone="Asia/Jakarta",
            city="Yogyakarta",
            city_key="yogyakarta",
            venue="Galeri Kota",
            created_by_id=1,
        )
        announcement = Announcement(
            author_id=1, title="Year-end exhibition", body="At Galeri Kota, 20 December."
        )
        session.add(event)
        session.add(announcement)
        session.commit()
        assert event.id is not None and announcement.id is not None
        return event.id, announcement.id


def seed(engine: Engine, size: Size) -> Seeded:
    tokens = seed_members(engine, size)
    closed_id, closed_work = seed_closed_challenges(engine, size)
    voting_id, voting_works = seed_voting_challenge(engine, size)
    seed_activities(engine, size)
    seed_badges(engine)
    event_id, _announcement = seed_single_rows(engine)
    return Seeded(
        size=size,
        tokens=tokens,
        closed_challenge_id=closed_id,
        closed_work_id=closed_work,
        voting_challenge_id=voting_id,
        voting_work_ids=voting_works,
        event_id=event_id,
    )
