"""`sanggar seed-demo`: a whole community, the same for a seed, seeded once, consistent with
its own counters, and served by the API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, tzinfo
from io import BytesIO

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from app.anthologies import card
from app.challenges.schemas import ChallengePhase
from app.challenges.service import phase_of
from app.core import clock
from app.demo import pictures
from app.demo.community import SeedSummary, seed_community
from app.demo.pictures import PICTURED, SIZE
from app.media.storage import open_storage
from app.models import (
    Challenge,
    Discipline,
    Media,
    Member,
    MemberTag,
    Mentorship,
    Role,
    Submission,
    SubmissionMedia,
    TagKind,
)
from tests.conftest import _empty_tables
from tests.factories import auth_headers

MEMBERS = 30
# Columns that are random by design, whatever the seed: salted password hashes, UUIDs,
# the storage keys of uploads.
RANDOM_COLUMNS = {
    ("members", "password_hash"),
    ("anthologies", "book_uuid"),
    ("media", "storage_key"),
    # Fernet: a fresh IV (and time) per encryption.
    ("chat_bridges", "secret_ciphertext"),
    # Public ids are UUIDv7: a millisecond time and random bits (the chat bridges' events and
    # their deliveries).
    ("webhook_events", "public_id"),
    ("webhook_deliveries", "public_id"),
}
# Every resource the demo promises, by table.
RESOURCES = [
    "challenges",
    "submissions",
    "votes",
    "events",
    "event_rsvps",
    "event_check_ins",
    "projects",
    "project_tasks",
    "project_updates",
    "mentor_profiles",
    "mentorships",
    "threads",
    "posts",
    "comments",
    "ideas",
    "idea_upvotes",
    "announcements",
    "anthologies",
    "anthology_entries",
    "media",
    "submission_media",
    "media_usage",
    "activities",
    "badges",
    "notifications",
]
# Counters kept on rows, each with the query that lists the rows where it disagrees with
# the rows it counts (so every one of these must return nothing).
MISMATCHES = {
    "vote_count": """SELECT s.id FROM submissions s WHERE s.vote_count !=
        (SELECT count(*) FROM votes v WHERE v.submission_id = s.id)""",
    "vote budget used": """SELECT b.member_id FROM vote_budgets b WHERE b.used !=
        (SELECT count(*) FROM votes v
         WHERE v.challenge_id = b.challenge_id AND v.member_id = b.member_id)""",
    "jury_total and juror_count": """SELECT s.id FROM submissions s
        WHERE s.jury_total != (SELECT coalesce(sum(j.total), 0) FROM jury_scores j
                               WHERE j.submission_id = s.id)
           OR s.juror_count != (SELECT count(*) FROM jury_scores j WHERE j.submission_id = s.id)""",
    "submission_count": """SELECT c.id FROM challenges c WHERE c.submission_count !=
        (SELECT count(*) FROM submissions s WHERE s.challenge_id = c.id)""",
    "participant_count": """SELECT c.id FROM challenges c WHERE c.participant_count !=
        (SELECT count(*) FROM challenge_participants p WHERE p.challenge_id = c.id)""",
    "member points vs activities": """SELECT m.id FROM members m WHERE m.points !=
        (SELECT coalesce(sum(a.points), 0) FROM activities a WHERE a.member_id = m.id)""",
    "member points vs all-time total": """SELECT m.id FROM members m WHERE m.points !=
        coalesce((SELECT p.points FROM member_points p
                  WHERE p.member_id = m.id AND p.period_kind = 'all'), 0)""",
    "monthly totals vs all-time": """SELECT p.member_id FROM member_points p
        WHERE p.period_kind = 'all' AND p.points !=
        (SELECT coalesce(sum(q.points), 0) FROM member_points q
         WHERE q.member_id = p.member_id AND q.period_kind = 'month')""",
    "post_count": """SELECT t.id FROM threads t WHERE t.post_count !=
        (SELECT count(*) FROM posts p WHERE p.thread_id = t.id AND p.deleted_at IS NULL)""",
    "upvote_count": """SELECT i.id FROM ideas i WHERE i.upvote_count !=
        (SELECT count(*) FROM idea_upvotes u WHERE u.idea_id = i.id)""",
    "going_count": """SELECT e.id FROM events e WHERE e.going_count !=
        (SELECT count(*) FROM event_rsvps r WHERE r.event_id = e.id AND r.status = 'going')""",
    "waitlist_count": """SELECT e.id FROM events e WHERE e.waitlist_count !=
        (SELECT count(*) FROM event_rsvps r
         WHERE r.event_id = e.id AND r.status = 'waitlisted')""",
    "capacity": "SELECT e.id FROM events e WHERE e.going_count > e.capacity",
    "project member_count": """SELECT p.id FROM projects p WHERE p.member_count !=
        (SELECT count(*) FROM project_members m
         WHERE m.project_id = p.id AND m.status = 'active')""",
    "coordinator_count": """SELECT p.id FROM projects p WHERE p.coordinator_count !=
        (SELECT count(*) FROM project_members m WHERE m.project_id = p.id
         AND m.status = 'active' AND m.role = 'coordinator')""",
    "media usage": """SELECT u.member_id FROM media_usage u WHERE u.bytes !=
        (SELECT coalesce(sum(m.bytes), 0) FROM media m
         WHERE m.owner_id = u.member_id AND m.deleted_at IS NULL)""",
    "mentor active_count": """SELECT p.member_id FROM mentor_profiles p WHERE p.active_count !=
        (SELECT count(*) FROM mentorships s
         WHERE s.mentor_id = p.member_id AND s.status = 'accepted')""",
}


@pytest.fixture(autouse=True)
def _fresh_database(engine: Engine) -> None:
    """Tests that never asked for `engine` may have left rows behind: every test here
    seeds an empty database, as `make demo` does on a new one."""
    _empty_tables(engine)


class _Frozen(datetime):
    moment: datetime

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _Frozen:
        return cls.moment  # type: ignore[return-value]


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[datetime]:
    """One instant for every `utcnow()` (default factories included), so two seedings can be
    compared to the byte, timestamps included: the demo dates everything from now."""
    _Frozen.moment = clock.utcnow()
    monkeypatch.setattr(clock, "datetime", _Frozen)
    yield _Frozen.moment


def _seed(app: FastAPI, engine: Engine, seed: int = 3) -> SeedSummary:
    return seed_community(
        engine, app.state.settings, members_count=MEMBERS, seed=seed, console=Console(quiet=True)
    )


def _digest(engine: Engine) -> str:
    """A canonical dump of every table (rows in key order, random columns left out)."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in RANDOM_COLUMNS]
            rows = connection.execute(sa.select(*columns).order_by(*table.primary_key.columns))
            for row in rows:
                line = json.dumps([table.name, *row], default=str, sort_keys=True)
                digest.update(line.encode())
    return digest.hexdigest()


def _count(session: Session, table: str) -> int:
    statement = sa.select(sa.func.count()).select_from(SQLModel.metadata.tables[table])
    total: int = session.execute(statement).scalar_one()
    return total


def test_demo_has_every_role_discipline_phase_and_resource(
    app: FastAPI, engine: Engine, session: Session
) -> None:
    summary = _seed(app, engine)
    assert summary.members == MEMBERS + 2
    people = list(session.exec(select(Member)))
    assert {Role(m.role) for m in people} == set(Role)
    disciplines = session.exec(
        select(MemberTag.value).where(MemberTag.kind == TagKind.DISCIPLINE).distinct()
    ).all()
    assert set(disciplines) == {d.value for d in Discipline}
    assert len({m.city for m in people if m.city}) >= 3
    now = clock.utcnow()
    phases = {phase_of(c, now) for c in session.exec(select(Challenge))}
    assert phases == set(ChallengePhase)
    closed = [c for c in session.exec(select(Challenge)) if phase_of(c, now) == "closed"]
    assert all(c.ranked_at is not None for c in closed)  # results are out
    for table in RESOURCES:
        assert _count(session, table) > 0, table
    for table, added in summary.added.items():
        assert added == _count(session, table), table


def test_demo_counters_agree_with_the_rows_they_count(
    app: FastAPI, engine: Engine, session: Session
) -> None:
    _seed(app, engine)
    for counter, query in MISMATCHES.items():
        assert session.execute(sa.text(query)).all() == [], counter


@pytest.mark.usefixtures("frozen_clock")
def test_the_same_seed_grows_the_same_community_another_seed_another(
    app: FastAPI, engine: Engine
) -> None:
    _seed(app, engine, seed=11)
    first = _digest(engine)
    _empty_tables(engine)  # a fresh database: empty tables, ids from 1 again
    _seed(app, engine, seed=11)
    assert _digest(engine) == first
    _empty_tables(engine)
    _seed(app, engine, seed=12)
    assert _digest(engine) != first


def test_seeding_again_adds_nothing_and_says_so(app: FastAPI, engine: Engine) -> None:
    _seed(app, engine)
    before = _digest(engine)
    console = Console(record=True, width=200)
    again = seed_community(
        engine, app.state.settings, members_count=MEMBERS, seed=4, console=console
    )
    assert not any(again.added.values())
    assert str(again) == "nothing added"
    assert "already seeded" in console.export_text()
    assert _digest(engine) == before


def test_too_small_a_community_is_refused(app: FastAPI, engine: Engine) -> None:
    with pytest.raises(ValueError, match="at least 9 members"):
        seed_community(
            engine, app.state.settings, members_count=5, seed=1, console=Console(quiet=True)
        )


def test_a_served_app_lists_the_demo_community(
    app: FastAPI, engine: Engine, session: Session, live_server: str
) -> None:
    _seed(app, engine)
    # A mentee, so that "my mentorships" has something to list too.
    mentee = session.exec(select(Mentorship.mentee_id).order_by(col(Mentorship.id))).first()
    member = session.get(Member, mentee)
    assert member is not None
    headers = auth_headers(app, member)
    lists = [
        "members",
        "challenges",
        "showcase",
        "events",
        "projects",
        "mentors",
        "mentorships",
        "threads",
        "ideas",
        "announcements",
        "anthologies",
        "leaderboard",
        "notifications",
    ]
    with httpx.Client(base_url=live_server, headers=headers, timeout=30) as client:
        for name in lists:
            response = client.get(f"/api/v1/{name}")
            assert response.status_code == 200, (name, response.text)
            assert response.json()["items"], name
        closed = session.exec(select(Challenge).where(col(Challenge.ranked_at).is_not(None)))
        scored = []
        for challenge in closed:
            results = client.get(f"/api/v1/challenges/{challenge.id}/results")
            assert results.status_code == 200, results.text
            scored += [i for i in results.json()["items"] if i["jury_score"] is not None]
        # The judged challenge: the jury scored its works, one took the audience award.
        assert scored and any(i["audience_award"] for i in scored)


def test_picture_works_have_drawn_pictures_on_their_cards(
    app: FastAPI, engine: Engine, session: Session, client: TestClient
) -> None:
    _seed(app, engine)
    storage = open_storage(app.state.settings)
    pictured = session.exec(
        select(Submission, Challenge)
        .join(Challenge, col(Challenge.id) == col(Submission.challenge_id))
        .where(col(Challenge.discipline).in_([d.value for d in PICTURED]))
    ).all()
    assert pictured
    hashes = set()
    for work, _ in pictured:
        links = session.exec(
            select(SubmissionMedia).where(SubmissionMedia.submission_id == work.id)
        ).all()
        assert len(links) == 1, work.title
        media = session.get(Media, links[0].media_id)
        assert media is not None
        assert (media.status, media.kind, media.owner_id) == ("ready", "image", work.member_id)
        assert media.attached_at is not None and media.blurhash
        assert (media.width, media.height) == SIZE
        for name in ("original", "thumb.webp", "medium.webp", "large.webp"):
            assert storage.local_path(f"{media.storage_key}/{name}") is not None, name
        assert storage.local_path(f"{media.storage_key}/upload") is None
        hashes.add(media.sha256)
    assert len(hashes) == len(pictured), "every work has a picture of its own"
    # The showcase's winners and featured works get cards with their picture.
    closed = [w for w, c in pictured if c.ranked_at is not None]
    cards = [client.get(f"/api/v1/submissions/{w.id}/card.png") for w in closed]
    shown = [Image.open(BytesIO(r.content)).convert("RGB") for r in cards if r.status_code == 200]
    assert shown, "a closed photo challenge has winners"
    assert all(image.getpixel((540, 270)) != card.BACKGROUND for image in shown)


def test_the_pictures_are_drawn_the_same_for_the_same_work() -> None:
    first = pictures.draw("Morning light — Rina Wijaya", Discipline.PHOTOGRAPHY, seed="rina")
    again = pictures.draw("Morning light — Rina Wijaya", Discipline.PHOTOGRAPHY, seed="rina")
    other = pictures.draw("Morning light — Rina Wijaya", Discipline.PHOTOGRAPHY, seed="rina2")
    assert first.size == SIZE
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
    poster = pictures.draw("Kopi & kawan — Budi", Discipline.DESIGN, seed="budi")
    assert poster.tobytes() != first.tobytes()
