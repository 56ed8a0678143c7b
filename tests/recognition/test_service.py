"""Points and badges follow contributions exactly once, retries of an event included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core import domain_events
from app.core.domain_events import (
    BadgeAwarded,
    ChallengeClosed,
    CommentDeleted,
    EventAttended,
    IdeaCreated,
    MentorshipCompleted,
    PostCreated,
    PostDeleted,
    ProjectCompleted,
    ProjectUpdatePosted,
    SubmissionCreated,
    SubmissionWithdrawn,
    TaskCompleted,
    ThreadCreated,
    VoteCast,
    VoteWithdrawn,
)
from app.models import (
    Challenge,
    ContributionKind,
    MemberPoints,
    Notification,
    Role,
    Submission,
)
from app.recognition import service, subscribers
from tests.challenges.helpers import CHALLENGES, create_challenge, organizer, submit
from tests.factories import make_member, member_with_headers
from tests.recognition.helpers import (
    activities,
    badge_codes,
    comment_created,
    counts_of,
    deliver,
    id_of,
    points_of,
    publish,
    publish_to_recognition,
)


@pytest.fixture
def awarded() -> Iterator[list[BadgeAwarded]]:
    seen: list[BadgeAwarded] = []

    def record(_session: Session, event: BadgeAwarded) -> None:
        seen.append(event)

    with domain_events.subscribed(record, BadgeAwarded):
        yield seen


def test_a_submission_earns_points_and_the_first_submission_badge_once_even_if_retried(
    app: FastAPI, client: TestClient, session: Session, awarded: list[BadgeAwarded]
) -> None:
    challenge = create_challenge(client, organizer(app))
    author, headers = member_with_headers(app)
    work = submit(client, challenge["id"], headers, title="Hujan di Bandung")

    # The same domain event delivered again changes nothing.
    publish(
        app,
        SubmissionCreated(
            actor_id=author.id, challenge_id=challenge["id"], submission_id=work["id"]
        ),
    )

    assert [(a.kind, a.source_id, a.points) for a in activities(session, author.id)] == [
        ("submission", work["id"], 10)
    ]
    assert points_of(session, author.id) == 10
    assert badge_codes(session, author.id) == ["first_submission"]
    assert len(awarded) == 1
    event = awarded[0]
    assert event.actor_id is None
    assert event.member_id == author.id
    assert (event.kind, event.code) == ("automatic", "first_submission")
    badges = client.get(f"/api/v1/members/{author.id}/badges").json()["items"]
    assert badges[0]["reason"].startswith("first submission: 'Hujan di Bandung', 20")
    notes = session.exec(select(Notification.type).where(Notification.member_id == author.id)).all()
    assert notes.count("badge.awarded") == 1


def test_withdrawing_a_work_takes_its_points_back_once_and_keeps_the_badge(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    challenge = create_challenge(client, organizer(app))
    author, headers = member_with_headers(app)
    work = submit(client, challenge["id"], headers)
    assert client.delete(f"/api/v1/submissions/{work['id']}", headers=headers).status_code == 204
    publish(
        app,
        SubmissionWithdrawn(
            actor_id=author.id, challenge_id=challenge["id"], submission_id=work["id"]
        ),
    )

    assert activities(session, author.id) == []
    assert points_of(session, author.id) == 0
    rows = session.exec(select(MemberPoints).where(MemberPoints.member_id == author.id)).all()
    assert {(row.period_kind, row.points) for row in rows} == {
        ("week", 0),
        ("month", 0),
        ("all", 0),
    }
    assert badge_codes(session, author.id) == ["first_submission"]


def test_votes_count_once_per_work_and_a_withdrawal_takes_only_that_voters_point(
    app: FastAPI, session: Session
) -> None:
    first, second = make_member(app), make_member(app)
    for voter in (first, second, first):
        publish(
            app,
            VoteCast(actor_id=voter.id, challenge_id=1, submission_id=77, member_id=id_of(voter)),
        )
    for _ in range(2):
        publish(
            app,
            VoteWithdrawn(
                actor_id=first.id, challenge_id=1, submission_id=77, member_id=id_of(first)
            ),
        )

    assert (points_of(session, first.id), points_of(session, second.id)) == (0, 1)
    assert [a.kind for a in activities(session, second.id)] == ["vote"]


def test_ten_comments_earn_the_badge_once_and_a_deleted_comment_loses_its_points(
    app: FastAPI, session: Session, awarded: list[BadgeAwarded]
) -> None:
    commenter = make_member(app)
    for comment_id in [*range(1, 11), 10, 11]:
        publish_to_recognition(
            app,
            comment_created(commenter.id, comment_id, on_work_of=99),
        )
    assert points_of(session, commenter.id) == 11 * 2
    assert badge_codes(session, commenter.id) == ["ten_comments"]
    assert len(awarded) == 1

    publish_to_recognition(app, CommentDeleted(comment_id=3))
    publish_to_recognition(app, CommentDeleted(comment_id=3))
    assert points_of(session, commenter.id) == 10 * 2
    assert badge_codes(session, commenter.id) == ["ten_comments"]
    assert counts_of(session, commenter.id) == {"comment": 10}


def test_the_ten_comments_badge_waits_for_ten_standing_and_stays_single(
    app: FastAPI, session: Session, awarded: list[BadgeAwarded]
) -> None:
    commenter = make_member(app)

    def comment(comment_id: int) -> None:
        publish_to_recognition(app, comment_created(commenter.id, comment_id))

    for comment_id in range(1, 10):
        comment(comment_id)
    publish_to_recognition(app, CommentDeleted(comment_id=9))
    comment(10)  # the tenth comment made, the ninth standing
    assert badge_codes(session, commenter.id) == []
    comment(11)
    assert badge_codes(session, commenter.id) == ["ten_comments"]
    # Down to nine and back to ten: the count reaches ten again, the badge stays one.
    publish_to_recognition(app, CommentDeleted(comment_id=11))
    comment(12)
    assert badge_codes(session, commenter.id) == ["ten_comments"]
    assert len(awarded) == 1
    assert counts_of(session, commenter.id) == {"comment": 10}


def test_record_returns_the_count_and_retract_then_record_again_keeps_it_exact(
    app: FastAPI, session: Session
) -> None:
    member = make_member(app)
    member_id, at = id_of(member), datetime(2026, 12, 1, 9, tzinfo=UTC)

    def record(kind: ContributionKind, source_id: int) -> int | None:
        with Session(app.state.engine) as writing:
            count = service.record(
                writing, member_id=member_id, kind=kind, source_id=source_id, occurred_at=at
            )
            writing.commit()
        return count

    def retract(kind: ContributionKind, source_id: int) -> int:
        with Session(app.state.engine) as writing:
            removed = service.retract(writing, kind=kind, source_id=source_id)
            writing.commit()
        return removed

    comment, vote = ContributionKind.COMMENT, ContributionKind.VOTE
    assert [record(comment, 1), record(comment, 2), record(vote, 1)] == [1, 2, 1]
    assert record(comment, 2) is None  # recorded before: no count moves
    assert retract(comment, 1) == 1
    assert retract(comment, 1) == 0
    assert counts_of(session, member_id) == {"comment": 1, "vote": 1}
    assert record(comment, 1) == 2  # taken back, then recorded again
    assert retract(vote, 1) == 1
    assert counts_of(session, member_id) == {"comment": 2}


def test_posts_threads_and_ideas_earn_their_points(app: FastAPI, session: Session) -> None:
    writer = make_member(app)
    publish_to_recognition(app, PostCreated(actor_id=writer.id, post_id=1, thread_id=1))
    publish_to_recognition(app, PostCreated(actor_id=writer.id, post_id=1, thread_id=1))
    publish_to_recognition(app, ThreadCreated(actor_id=writer.id, thread_id=1))
    publish_to_recognition(app, IdeaCreated(actor_id=writer.id, idea_id=1, title="A zine library"))
    assert points_of(session, writer.id) == 2 + 2 + 3
    publish_to_recognition(app, PostDeleted(post_id=1))
    assert sorted(a.kind for a in activities(session, writer.id)) == ["idea", "thread"]


def test_the_fifth_event_attended_earns_the_badge(app: FastAPI, session: Session) -> None:
    member = make_member(app)
    for event_id in [1, 2, 3, 4, 4]:
        publish(app, EventAttended(actor_id=member.id, event_id=event_id, member_id=id_of(member)))
    assert badge_codes(session, member.id) == []
    publish(app, EventAttended(actor_id=member.id, event_id=5, member_id=id_of(member)))
    assert badge_codes(session, member.id) == ["five_events_attended"]
    assert points_of(session, member.id) == 5 * 5
    assert counts_of(session, member.id) == {"event_attended": 5}


def test_project_and_mentoring_contributions(app: FastAPI, session: Session) -> None:
    mentor, mentee, helper = make_member(app), make_member(app), make_member(app)
    for _ in range(2):
        deliver(
            app,
            subscribers.mentorship_completed,
            MentorshipCompleted(
                actor_id=mentor.id,
                mentorship_id=8,
                mentor_id=id_of(mentor),
                mentee_id=id_of(mentee),
            ),
        )
        deliver(
            app,
            subscribers.task_completed,
            TaskCompleted(actor_id=mentor.id, project_id=1, task_id=4, member_id=id_of(helper)),
        )
        deliver(
            app,
            subscribers.project_update_posted,
            ProjectUpdatePosted(actor_id=helper.id, project_id=1, update_id=6),
        )
        deliver(
            app,
            subscribers.project_completed,
            ProjectCompleted(
                actor_id=mentor.id,
                project_id=1,
                member_ids=(
                    id_of(helper),
                    id_of(mentee),
                ),
            ),
        )
    assert (points_of(session, mentor.id), points_of(session, mentee.id)) == (15, 15)
    assert points_of(session, helper.id) == 3 + 2
    assert badge_codes(session, mentor.id) == ["first_mentorship_completed"]
    assert badge_codes(session, mentee.id) == ["first_mentorship_completed", "project_completed"]
    assert badge_codes(session, helper.id) == ["project_completed"]


def test_challenge_winners_earn_the_win_once_even_with_two_winning_works(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    challenge = create_challenge(client, organizer(app), max_submissions_per_member=2)
    winner, winner_headers = member_with_headers(app)
    other, other_headers = member_with_headers(app)
    works = [
        submit(client, challenge["id"], winner_headers, title="Senja"),
        submit(client, challenge["id"], winner_headers, title="Fajar"),
        submit(client, challenge["id"], other_headers, title="Kabut"),
    ]
    with Session(app.state.engine) as writer:
        writer.execute(
            sa.update(Submission)
            .where(col(Submission.id).in_([works[0]["id"], works[1]["id"]]))
            .values(is_winner=True)
        )
        writer.commit()
    for _ in range(2):
        publish(app, ChallengeClosed(challenge_id=challenge["id"], phase="closed"))

    assert points_of(session, winner.id) == 2 * 10 + 50
    assert points_of(session, other.id) == 10
    assert badge_codes(session, winner.id) == ["first_submission", "challenge_winner"]


def _series(client: TestClient, app: FastAPI, count: int) -> list[int]:
    headers = organizer(app)
    first = create_challenge(client, headers, repeat={"frequency": "weekly", "count": count})
    response = client.get(
        CHALLENGES, params={"series_id": first["id"], "limit": 100}, headers=headers
    )
    ids = [c["id"] for c in response.json()["items"]]
    assert len(ids) == count
    return sorted(ids)


def _enter(app: FastAPI, member_id: int, challenge_id: int) -> None:
    """A work in a challenge that is not open yet (put in place directly), announced."""
    with Session(app.state.engine) as writer:
        work = Submission(
            challenge_id=challenge_id, member_id=member_id, title=f"Week {challenge_id}"
        )
        writer.add(work)
        writer.flush()
        assert work.id is not None
        domain_events.publish(
            writer,
            SubmissionCreated(actor_id=member_id, challenge_id=challenge_id, submission_id=work.id),
        )
        writer.commit()


@pytest.mark.parametrize(
    ("entered", "earned"),
    [([0, 1, 2, 3], True), ([0, 1, 3, 4], False), ([1, 2, 3, 4], True), ([0, 1, 2], False)],
)
def test_four_weekly_challenges_in_a_row_earn_the_streak_badge(
    app: FastAPI, client: TestClient, session: Session, entered: list[int], earned: bool
) -> None:
    series = _series(client, app, 5)
    member = make_member(app)
    for index in entered:
        _enter(app, member.id, series[index])  # type: ignore[arg-type]
    assert ("weekly_streak_4" in badge_codes(session, member.id)) is earned


def test_a_monthly_series_never_earns_the_weekly_streak(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    headers = organizer(app)
    first = create_challenge(client, headers, repeat={"frequency": "monthly", "count": 4})
    series = session.exec(
        select(Challenge.id).where(Challenge.series_id == first["id"]).order_by(col(Challenge.id))
    ).all()
    member = make_member(app, role=Role.MEMBER)
    for challenge_id in series:
        _enter(app, member.id, challenge_id)  # type: ignore[arg-type]
    assert badge_codes(session, member.id) == ["first_submission"]
    assert [a.kind for a in activities(session, member.id)] == [ContributionKind.SUBMISSION] * 4
