"""Every table, imported in one place: the registry Alembic and the tests need."""

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
from app.models.recognition import (
    Activity,
    Badge,
    BadgeKind,
    ContributionKind,
    MemberPoints,
    PeriodKind,
)

__all__ = [
    "ROLE_RANK",
    "Activity",
    "AuthSession",
    "Badge",
    "BadgeKind",
    "CalendarFeedToken",
    "Challenge",
    "ChallengeParticipant",
    "ContributionKind",
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
    "MemberPoints",
    "MemberTag",
    "MembershipStatus",
    "MentorProfile",
    "MentorTopic",
    "Mentorship",
    "MentorshipStatus",
    "Notification",
    "PeriodKind",
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
