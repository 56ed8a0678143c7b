from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import Flag, PositiveInt, ScheduleTime, Text, Title
from app.media.schemas import MediaOut
from app.models import Discipline
from app.recurrence import Repeat

ChallengeTime = ScheduleTime
ChallengeTitle = Annotated[Title, StringConstraints(max_length=200)]
Theme = Annotated[Title, StringConstraints(max_length=200)]
Description = Annotated[Text, StringConstraints(max_length=10_000)]
PerMember = Annotated[int, Field(ge=1, le=100)]


class ChallengePhase(StrEnum):
    """Derived from the clock: never stored, so moving a date moves the phase."""

    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    VOTING = "voting"
    CLOSED = "closed"


_CHALLENGE_INPUT: dict[str, Any] = {
    "title": "Weekly photo challenge #48",
    "theme": "Morning light",
    "description": "One photo taken before 8 a.m. Phones welcome.",
    "discipline": "photography",
    "submissions_open_at": "2026-12-01T00:00:00+07:00",
    "submissions_close_at": "2026-12-06T00:00:00+07:00",
    "voting_close_at": "2026-12-08T00:00:00+07:00",
    "max_submissions_per_member": 1,
    "votes_per_member": 3,
    "winners_count": 3,
    "published": True,
}
DATES_DESCRIPTION = "submissions_open_at < submissions_close_at < voting_close_at."
COVER_DESCRIPTION = "One of the caller's uploaded images (`POST /api/v1/media`), shown as `cover`."


class JudgingMode(StrEnum):
    """`votes`: the public vote alone; `jury`: the jurors' scores alone; `combined`: both,
    weighted by `jury_weight`."""

    VOTES = "votes"
    JURY = "jury"
    COMBINED = "combined"


CriterionKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
CriterionTitle = Annotated[Title, StringConstraints(max_length=100)]
MAX_CRITERIA = 10
MAX_JURORS = 50


_CRITERION_EXAMPLE: dict[str, Any] = {"key": "concept", "title": "Concept", "weight": 2}


class Criterion(BaseModel):
    """One line of the rubric: jurors score it 1–10; `weight` is its share of the mean."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CRITERION_EXAMPLE]})

    key: CriterionKey = Field(description="Names the criterion in a score's `scores`.")
    title: CriterionTitle
    weight: int = Field(ge=1, le=100, description="Relative weight in the jury score.")


class CriterionPublic(BaseModel):
    """One line of the rubric, as a challenge shows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CRITERION_EXAMPLE]})

    key: str
    title: str
    weight: int


_JUDGING_EXAMPLE: dict[str, Any] = {
    "mode": "combined",
    "jury_weight": 0.6,
    "criteria": [
        {"key": "concept", "title": "Concept", "weight": 2},
        {"key": "craft", "title": "Craft", "weight": 1},
    ],
    "juror_ids": [4, 9],
}


class Judging(BaseModel):
    """How a challenge's works are judged. Fixed once voting starts (409 `judging_locked`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_JUDGING_EXAMPLE]})

    mode: JudgingMode = JudgingMode.VOTES
    jury_weight: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The jury's share of the score in `combined` mode (required there); "
        "1 in `jury` mode, 0 in `votes` mode.",
    )
    criteria: list[Criterion] = Field(
        default_factory=list,
        max_length=MAX_CRITERIA,
        description="The rubric (1–10 criteria, unique keys) in `jury` and `combined` mode.",
    )
    juror_ids: list[PositiveInt] = Field(
        default_factory=list,
        max_length=MAX_JURORS,
        description="The jurors (members, 1–50) in `jury` and `combined` mode.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Judging:
        if self.mode == JudgingMode.VOTES:
            if self.criteria or self.juror_ids or self.jury_weight not in (None, 0):
                raise ValueError("votes mode takes no criteria, jurors or jury_weight")
            self.jury_weight = 0.0
            return self
        if not self.criteria or not self.juror_ids:
            raise ValueError(f"{self.mode.value} mode needs criteria and juror_ids")
        keys = [criterion.key for criterion in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("criterion keys must be unique")
        if len(set(self.juror_ids)) != len(self.juror_ids):
            raise ValueError("juror_ids must be unique")
        if self.mode == JudgingMode.JURY:
            if self.jury_weight not in (None, 1):
                raise ValueError("jury mode has jury_weight 1")
            self.jury_weight = 1.0
        elif self.jury_weight is None:
            raise ValueError("combined mode needs jury_weight")
        return self


class JudgingPublic(BaseModel):
    """How the challenge is judged (`votes` for challenges without a jury)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_JUDGING_EXAMPLE]})

    mode: JudgingMode
    jury_weight: float
    criteria: list[CriterionPublic]
    juror_ids: list[int]


VOTES_ONLY: dict[str, Any] = {"mode": "votes", "jury_weight": 0.0, "criteria": [], "juror_ids": []}


class ChallengeCreate(BaseModel):
    """A new challenge; with `repeat`, the first of a series (each shifted by the interval)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                _CHALLENGE_INPUT,
                {**_CHALLENGE_INPUT, "repeat": {"frequency": "weekly", "interval": 1, "count": 4}},
            ]
        },
    )

    title: ChallengeTitle
    theme: Theme
    description: Description = ""
    discipline: Discipline
    submissions_open_at: ChallengeTime
    submissions_close_at: ChallengeTime = Field(description="After `submissions_open_at`.")
    voting_close_at: ChallengeTime = Field(description="After `submissions_close_at`.")
    max_submissions_per_member: PerMember = 1
    votes_per_member: PerMember = 3
    winners_count: PerMember = Field(
        default=3, description="Works ranked this high or better win (ties share the win)."
    )
    published: Flag = Field(description="Drafts are visible to organizers only.")
    judging: Judging | None = Field(
        default=None, description="A jury and rubric; left out, works are judged by votes."
    )
    cover_media_id: PositiveInt | None = Field(default=None, description=COVER_DESCRIPTION)
    repeat: Repeat | None = None

    @field_validator("submissions_close_at", "voting_close_at")
    @classmethod
    def _in_order(cls, value: datetime, info: ValidationInfo) -> datetime:
        before = {
            "submissions_close_at": "submissions_open_at",
            "voting_close_at": "submissions_close_at",
        }[str(info.field_name)]
        earlier = info.data.get(before)
        if earlier is not None and value <= earlier:
            raise ValueError(f"must be after {before}")
        return value


# Fields that may be left out of a PATCH but never set to null.
_NOT_NULLABLE = frozenset(
    {
        "title",
        "theme",
        "description",
        "discipline",
        "submissions_open_at",
        "submissions_close_at",
        "voting_close_at",
        "max_submissions_per_member",
        "votes_per_member",
        "winners_count",
        "published",
        "judging",
    }
)


class ChallengeUpdate(PatchBody):
    """Changes to a challenge; only the fields sent change. Dates may move at any time."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"submissions_close_at": "2026-12-07T00:00:00+07:00"},
                {"published": True},
            ]
        },
    )

    title: ChallengeTitle | None = None
    theme: Theme | None = None
    description: Description | None = None
    discipline: Discipline | None = None
    submissions_open_at: ChallengeTime | None = None
    submissions_close_at: ChallengeTime | None = None
    voting_close_at: ChallengeTime | None = None
    max_submissions_per_member: PerMember | None = None
    votes_per_member: PerMember | None = None
    winners_count: PerMember | None = None
    published: Flag | None = None
    judging: Judging | None = Field(
        default=None, description="Replaces the whole judging setup; 409 once voting started."
    )
    cover_media_id: PositiveInt | None = Field(
        default=None, description=COVER_DESCRIPTION + " `null` removes the cover."
    )

    not_nullable = _NOT_NULLABLE


_CHALLENGE_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "series_id": None,
    **_CHALLENGE_INPUT,
    "submissions_open_at": "2026-11-30T17:00:00Z",
    "submissions_close_at": "2026-12-05T17:00:00Z",
    "voting_close_at": "2026-12-07T17:00:00Z",
    "phase": "open",
    "submission_count": 41,
    "participant_count": 38,
    "judging": VOTES_ONLY,
    "cover": None,
    "created_by_id": 2,
    "created_at": "2026-11-25T08:00:00Z",
    "updated_at": "2026-11-25T08:00:00Z",
}


class ChallengePublic(BaseModel):
    """A challenge. `phase` follows the clock: it is computed when the challenge is read."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHALLENGE_EXAMPLE]})

    id: int
    series_id: int | None = Field(
        description="Shared by the challenges of a series (the first one's id)."
    )
    title: str
    theme: str
    description: str
    discipline: Discipline
    phase: ChallengePhase
    submissions_open_at: datetime
    submissions_close_at: datetime
    voting_close_at: datetime
    max_submissions_per_member: int
    votes_per_member: int
    winners_count: int
    published: bool
    submission_count: int = Field(description="Works entered (withdrawn ones not counted).")
    participant_count: int = Field(description="Members with at least one work entered.")
    judging: JudgingPublic
    cover: MediaOut | None = Field(description="The cover image (`cover_media_id`), or null.")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class ChallengePage(Page[ChallengePublic]):
    pass


class ChallengeFilters(BaseModel):
    phase: ChallengePhase | None = Field(
        default=None, description="Only challenges in this phase now (`draft`: organizers)."
    )
    discipline: Discipline | None = None
    series_id: PositiveInt | None = Field(default=None, description="The challenges of a series.")
