"""What a webhook receives for each event type: one table, one builder and example each.

A builder turns the domain event (ids and short strings) into the payload's `data`, adding
a few fields of the resource read in the same transaction (the resource is usually in the
session already, so most builders cost no query). The data models and their examples are
the `webhooks` section of the OpenAPI document, so receivers can be generated from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from app.challenges import judging, ranking
from app.challenges.schemas import ChallengePhase, JudgingMode
from app.core.domain_events import (
    AnnouncementPublished,
    BadgeAwarded,
    ChallengeClosed,
    ChallengeOpened,
    ChallengePhaseReached,
    ChallengeVotingStarted,
    DomainEvent,
    EventCancelled,
    EventPublished,
    EventStatusChanged,
    IdeaCreated,
    MemberJoined,
    ProjectCompleted,
    ProjectCreated,
    SubmissionCreated,
    SubmissionShowcased,
)
from app.models import Challenge, Event, Member, Project, Submission

PING = "ping"


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class MemberJoinedData(BaseModel):
    model_config = _example(
        {
            "member_id": 31,
            "handle": "rina",
            "display_name": "Rina Wulandari",
            "city": "Yogyakarta",
            "joined_at": "2026-12-01T09:30:00Z",
        }
    )

    member_id: int
    handle: str
    display_name: str
    city: str | None
    joined_at: datetime


class EventData(BaseModel):
    model_config = _example(
        {
            "event_id": 12,
            "title": "Risograph printing workshop",
            "kind": "workshop",
            "status": "published",
            "starts_at": "2026-12-12T11:00:00Z",
            "ends_at": "2026-12-12T14:00:00Z",
            "timezone": "Asia/Jakarta",
            "city": "Bandung",
            "series_id": None,
        }
    )

    event_id: int
    title: str
    kind: str
    status: str = Field(description="`published`, or `cancelled` for event.cancelled.")
    starts_at: datetime
    ends_at: datetime
    timezone: str
    city: str | None
    series_id: int | None


class ChallengeData(BaseModel):
    model_config = _example(
        {
            "challenge_id": 8,
            "title": "Weekly photo: rain",
            "theme": "Rain in the city",
            "discipline": "photography",
            "phase": "open",
            "submissions_open_at": "2026-12-01T00:00:00Z",
            "submissions_close_at": "2026-12-08T00:00:00Z",
            "voting_close_at": "2026-12-11T00:00:00Z",
            "judging_mode": "combined",
            "jury_weight": 0.6,
        }
    )

    challenge_id: int
    title: str
    theme: str
    discipline: str
    phase: ChallengePhase = Field(
        description="The phase when announced; after a downtime it may already be a later one."
    )
    submissions_open_at: datetime
    submissions_close_at: datetime
    voting_close_at: datetime
    judging_mode: JudgingMode = Field(
        description="How the results rank: `votes`, `jury` (jurors' scores) or `combined`."
    )
    jury_weight: float = Field(description="The jury's share of the score (0 for `votes`).")


class ChallengeClosedData(ChallengeData):
    model_config = _example(
        {
            "challenge_id": 8,
            "title": "Weekly photo: rain",
            "theme": "Rain in the city",
            "discipline": "photography",
            "phase": "closed",
            "submissions_open_at": "2026-12-01T00:00:00Z",
            "submissions_close_at": "2026-12-08T00:00:00Z",
            "voting_close_at": "2026-12-11T00:00:00Z",
            "judging_mode": "combined",
            "jury_weight": 0.6,
            "winner_submission_ids": [141, 137],
        }
    )

    winner_submission_ids: list[int] = Field(
        description="The winning works, best first (ties by id), as the final ranking "
        "marked them when the challenge closed; empty when nobody won."
    )


class SubmissionCreatedData(BaseModel):
    model_config = _example(
        {
            "submission_id": 77,
            "challenge_id": 8,
            "member_id": 31,
            "title": "Puddles on Malioboro",
            "challenge_title": "Weekly photo: rain",
        }
    )

    submission_id: int
    challenge_id: int
    member_id: int
    title: str
    challenge_title: str


class SubmissionShowcasedData(SubmissionCreatedData):
    model_config = _example(
        {
            "submission_id": 141,
            "challenge_id": 8,
            "member_id": 31,
            "title": "Puddles on Malioboro",
            "challenge_title": "Weekly photo: rain",
            "winner": True,
            "featured": False,
        }
    )

    winner: bool = Field(description="Among the challenge's winners.")
    featured: bool = Field(description="Featured by the organizers.")


class ProjectCreatedData(BaseModel):
    model_config = _example(
        {
            "project_id": 5,
            "title": "Kumpulan Cerita Kota: a community e-book",
            "kind": "ebook",
            "status": "proposed",
            "created_by_id": 7,
        }
    )

    project_id: int
    title: str
    kind: str
    status: str
    created_by_id: int | None


class ProjectCompletedData(BaseModel):
    model_config = _example(
        {
            "project_id": 5,
            "title": "Kumpulan Cerita Kota: a community e-book",
            "kind": "ebook",
            "completed_at": "2026-12-20T10:00:00Z",
            "member_ids": [7, 31, 44],
        }
    )

    project_id: int
    title: str
    kind: str
    completed_at: datetime | None
    member_ids: list[int] = Field(description="The project's active members.")


class AnnouncementPublishedData(BaseModel):
    model_config = _example(
        {"announcement_id": 3, "title": "Exhibition call is open", "pinned": True, "actor_id": 2}
    )

    announcement_id: int
    title: str
    pinned: bool
    actor_id: int | None = Field(description="The organizer who posted it.")


class IdeaCreatedData(BaseModel):
    model_config = _example({"idea_id": 19, "title": "A zine swap every month", "actor_id": 31})

    idea_id: int
    title: str
    actor_id: int | None = Field(description="The member who proposed it.")


class BadgeAwardedData(BaseModel):
    model_config = _example(
        {
            "member_id": 31,
            "badge_id": 55,
            "kind": "automatic",
            "code": "first_submission",
            "title": "First submission",
            "actor_id": None,
        }
    )

    member_id: int
    badge_id: int
    kind: str = Field(
        description="`automatic` (earned by a rule) or `award` (granted by an organizer)."
    )
    code: str | None
    title: str
    actor_id: int | None = Field(description="The organizer who granted an award; else null.")


class PingData(BaseModel):
    model_config = _example({"webhook_id": 4, "message": "Hello from Sanggar."})

    webhook_id: int
    message: str


E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class PayloadType(Generic[E]):
    name: str  # the webhook type receivers subscribe to
    event: type[E] | None  # the domain event it announces (None: ping, sent on request)
    summary: str
    model: type[BaseModel]
    build: Callable[[Session, E], BaseModel | None]


def _member_joined(session: Session, event: MemberJoined) -> BaseModel | None:
    member = session.get(Member, event.member_id)
    if member is None:
        return None
    return MemberJoinedData.model_validate({**member.model_dump(), "member_id": member.id})


def _event(session: Session, event: EventStatusChanged) -> BaseModel | None:
    row = session.get(Event, event.event_id)
    if row is None:
        return None
    return EventData.model_validate({**row.model_dump(), "event_id": row.id})


def _challenge(session: Session, event: ChallengePhaseReached) -> BaseModel | None:
    challenge = session.get(Challenge, event.challenge_id)
    if challenge is None:
        return None
    setup = judging.public(challenge)
    return ChallengeData.model_validate(
        {
            **challenge.model_dump(),
            "challenge_id": challenge.id,
            "phase": event.phase,
            "judging_mode": setup.mode,
            "jury_weight": setup.jury_weight,
        }
    )


def _challenge_closed(session: Session, event: ChallengeClosed) -> BaseModel | None:
    data = _challenge(session, event)
    challenge = session.get(Challenge, event.challenge_id)
    if data is None or challenge is None:
        return None
    # The winners the closing's ranking just marked, in results order.
    winners = session.exec(
        select(Submission.id)
        .where(Submission.challenge_id == challenge.id, col(Submission.is_winner).is_(True))
        .order_by(ranking.key(challenge).desc(), col(Submission.id))
    ).all()
    return ChallengeClosedData(
        **data.model_dump(), winner_submission_ids=[id for id in winners if id is not None]
    )


def _work(
    session: Session, submission_id: int, challenge_id: int, *, fresh: bool = False
) -> tuple[Submission, SubmissionCreatedData] | None:
    """A work and the fields every `submission.*` payload carries; `fresh` reads it again."""
    submission = session.get(Submission, submission_id, populate_existing=fresh)
    challenge = session.get(Challenge, challenge_id)
    if submission is None or challenge is None:
        return None
    return submission, SubmissionCreatedData(
        submission_id=submission_id,
        challenge_id=challenge_id,
        member_id=submission.member_id,
        title=submission.title,
        challenge_title=challenge.title,
    )


def _submission_created(session: Session, event: SubmissionCreated) -> BaseModel | None:
    found = _work(session, event.submission_id, event.challenge_id)
    return None if found is None else found[1]


def _submission_showcased(session: Session, event: SubmissionShowcased) -> BaseModel | None:
    # Read again: the ranking set the flags in SQL, so a copy the session holds may be stale.
    found = _work(session, event.submission_id, event.challenge_id, fresh=True)
    if found is None:
        return None
    submission, fields = found
    return SubmissionShowcasedData(
        **fields.model_dump(), winner=submission.is_winner, featured=submission.featured
    )


def _project(session: Session, event: ProjectCreated | ProjectCompleted) -> Project | None:
    return session.get(Project, event.project_id)


def _project_created(session: Session, event: ProjectCreated) -> BaseModel | None:
    project = _project(session, event)
    if project is None:
        return None
    return ProjectCreatedData.model_validate({**project.model_dump(), "project_id": project.id})


def _project_completed(session: Session, event: ProjectCompleted) -> BaseModel | None:
    project = _project(session, event)
    if project is None:
        return None
    return ProjectCompletedData.model_validate(
        {
            **project.model_dump(),
            "project_id": project.id,
            "member_ids": list(event.member_ids),
        }
    )


def _from_event(model: type[BaseModel]) -> Callable[[Session, DomainEvent], BaseModel]:
    """Types whose domain event already carries everything the payload says (its fields
    of the same names)."""

    def build(_session: Session, event: DomainEvent) -> BaseModel:
        return model.model_validate(event, from_attributes=True)

    return build


def _entries(*entries: PayloadType[Any]) -> dict[str, PayloadType[Any]]:
    return {entry.name: entry for entry in entries}


# Each webhook type (the public contract's name) and the domain event it announces.
PAYLOADS: dict[str, PayloadType[Any]] = _entries(
    PayloadType(
        "member.joined",
        MemberJoined,
        "A member joined the community",
        MemberJoinedData,
        _member_joined,
    ),
    PayloadType("event.published", EventPublished, "An event was published", EventData, _event),
    PayloadType("event.cancelled", EventCancelled, "An event was cancelled", EventData, _event),
    PayloadType(
        "challenge.opened",
        ChallengeOpened,
        "A challenge opened for submissions",
        ChallengeData,
        _challenge,
    ),
    PayloadType(
        "challenge.voting_started",
        ChallengeVotingStarted,
        "Voting started in a challenge",
        ChallengeData,
        _challenge,
    ),
    PayloadType(
        "challenge.closed",
        ChallengeClosed,
        "A challenge closed: results are out",
        ChallengeClosedData,
        _challenge_closed,
    ),
    PayloadType(
        "submission.created",
        SubmissionCreated,
        "A work was entered",
        SubmissionCreatedData,
        _submission_created,
    ),
    PayloadType(
        "submission.showcased",
        SubmissionShowcased,
        "A work entered the public showcase (a winner or a featured work)",
        SubmissionShowcasedData,
        _submission_showcased,
    ),
    PayloadType(
        "project.created",
        ProjectCreated,
        "A project was proposed",
        ProjectCreatedData,
        _project_created,
    ),
    PayloadType(
        "project.completed",
        ProjectCompleted,
        "A project was completed",
        ProjectCompletedData,
        _project_completed,
    ),
    PayloadType(
        "announcement.published",
        AnnouncementPublished,
        "An announcement was posted",
        AnnouncementPublishedData,
        _from_event(AnnouncementPublishedData),
    ),
    PayloadType(
        "idea.created",
        IdeaCreated,
        "An idea was proposed",
        IdeaCreatedData,
        _from_event(IdeaCreatedData),
    ),
    PayloadType(
        "badge.awarded",
        BadgeAwarded,
        "A member earned a badge or award",
        BadgeAwardedData,
        _from_event(BadgeAwardedData),
    ),
)
# Subscribable event types, in the contract's order. `ping` is sent only by the ping operation.
EVENT_TYPES: tuple[str, ...] = tuple(PAYLOADS)
# The payload of each domain event that is a webhook type.
BY_EVENT: dict[type[DomainEvent], PayloadType[Any]] = {
    entry.event: entry for entry in PAYLOADS.values() if entry.event is not None
}
PING_PAYLOAD: PayloadType[DomainEvent] = PayloadType(
    PING, None, "A test delivery from the ping operation", PingData, _from_event(PingData)
)
