"""Every table, imported in one place: the registry Alembic and the tests need."""

from app.models.auth import AuthSession, Invitation, PersonalAccessToken, RefreshToken
from app.models.idempotency import IdempotencyKey
from app.models.member import ROLE_RANK, Discipline, Member, MemberTag, Role, TagKind
from app.models.notification import Notification

__all__ = [
    "ROLE_RANK",
    "AuthSession",
    "Discipline",
    "IdempotencyKey",
    "Invitation",
    "Member",
    "MemberTag",
    "Notification",
    "PersonalAccessToken",
    "RefreshToken",
    "Role",
    "TagKind",
]
