"""Every table, imported in one place: the registry Alembic and the tests need."""

from app.models.anthology import Anthology, AnthologyEntry, AnthologyStatus
from app.models.auth import AuthSession, Invitation, PersonalAccessToken, RefreshToken
from app.models.challenge import (
    Challenge,
    ChallengeParticipant,
    License,
    Submission,
    Vote,
    VoteBudget,
)
from app.models.event import (
    CalendarFeedToken,
    Event,
    EventCheckIn,
    EventKind,
    EventRsvp,
    EventStatus,
    RsvpStatus,
)
from app.models.idempotency import IdempotencyKey
from app.models.inquiry import Inquiry
from app.models.member import ROLE_RANK, Discipline, Member, MemberTag, Role, TagKind
from app.models.mentoring import MentorProfile, Mentorship, MentorshipStatus, MentorTopic
from app.models.notification import Notification
from app.models.project import (
    MembershipStatus,
    ProgressUpdate,
    Project,
    ProjectKind,
    ProjectMember,
    ProjectRole,
    ProjectSkill,
    ProjectStatus,
    ProjectTask,
    TaskStatus,
)

__all__ = [
    "ROLE_RANK",
    "Anthology",
    "AnthologyEntry",
    "AnthologyStatus",
    "AuthSession",
    "CalendarFeedToken",
    "Challenge",
    "ChallengeParticipant",
    "Discipline",
    "Event",
    "EventCheckIn",
    "EventKind",
    "EventRsvp",
    "EventStatus",
    "IdempotencyKey",
    "Inquiry",
    "Invitation",
    "License",
    "Member",
    "MemberTag",
    "MembershipStatus",
    "MentorProfile",
    "MentorTopic",
    "Mentorship",
    "MentorshipStatus",
    "Notification",
    "PersonalAccessToken",
    "ProgressUpdate",
    "Project",
    "ProjectKind",
    "ProjectMember",
    "ProjectRole",
    "ProjectSkill",
    "ProjectStatus",
    "ProjectTask",
    "RefreshToken",
    "Role",
    "RsvpStatus",
    "Submission",
    "TagKind",
    "TaskStatus",
    "Vote",
    "VoteBudget",
]
