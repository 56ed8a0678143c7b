from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.tables import AUTOINCREMENT, created_at_field, one_of, timestamp_field
from app.i18n import Locale


class Role(StrEnum):
    MEMBER = "member"
    MENTOR = "mentor"
    ORGANIZER = "organizer"
    ADMIN = "admin"


class Discipline(StrEnum):
    DESIGN = "design"
    ILLUSTRATION = "illustration"
    PHOTOGRAPHY = "photography"
    WRITING = "writing"
    VIDEO = "video"
    MUSIC = "music"
    ANIMATION = "animation"
    CRAFT = "craft"
    OTHER = "other"


ROLE_RANK = {Role.MEMBER: 0, Role.MENTOR: 0, Role.ORGANIZER: 1, Role.ADMIN: 2}


class Member(SQLModel, table=True):
    __tablename__ = "members"
    __table_args__ = (
        sa.CheckConstraint("role IN ('member', 'mentor', 'organizer', 'admin')", name="role_known"),
        sa.CheckConstraint(one_of("locale", Locale), name="locale_known"),
        AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased so that uniqueness and log-in ignore case.
    email: str = Field(max_length=254, unique=True)
    handle: str = Field(max_length=30)
    # lower(handle): `Rina` and `rina` collide on this unique column.
    handle_key: str = Field(max_length=30, unique=True)
    display_name: str = Field(max_length=80)
    password_hash: str = Field(max_length=255)
    bio: str = Field(default="", max_length=2000)
    city: str | None = Field(default=None, max_length=80)
    city_key: str | None = Field(default=None, max_length=80, index=True)
    links: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    avatar_url: str | None = Field(default=None, max_length=2048)
    # An uploaded image shown with it (app/media); the upload stays in its owner's library.
    avatar_media_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            # media.owner_id refers to members: use_alter breaks the cycle on PostgreSQL.
            sa.ForeignKey("media.id", ondelete="SET NULL", use_alter=True),
            index=True,
        ),
    )
    role: str = Field(default=Role.MEMBER, max_length=16, index=True)
    is_active: bool = Field(default=True)
    open_for_commissions: bool = Field(default=False)
    points: int = Field(default=0)
    joined_at: datetime = created_at_field()
    # Set by an organizer acting on a report: out of the member directory.
    hidden_at: datetime | None = timestamp_field()
    # The newest announcement already copied into this member's notifications (read-time
    # fan-out, see app.notifications.service.catch_up).
    announcements_seen_id: int = Field(default=0)
    # When the member confirmed their address (app/accounts); None: not yet, or never asked.
    email_verified_at: datetime | None = timestamp_field()
    # `id` or `en` for problems and mail; None: the request's Accept-Language, else the default.
    locale: Locale | None = Field(default=None, sa_type=sa.String(8))


def has_role(member: Member | None, minimum: Role) -> bool:
    """Whether the member's role ranks at `minimum` or above (mentors rank as members)."""
    return member is not None and ROLE_RANK[Role(member.role)] >= ROLE_RANK[minimum]


def is_organizer(member: Member | None) -> bool:
    """Organizers and admins: they see drafts and hidden rows, and moderate every feature."""
    return has_role(member, Role.ORGANIZER)


class TagKind(StrEnum):
    DISCIPLINE = "discipline"
    SKILL = "skill"


class MemberTag(SQLModel, table=True):
    """A member's disciplines and skills, one row each, so list filters can use an index."""

    __tablename__ = "member_tags"
    __table_args__ = (
        sa.Index("ix_member_tags_kind_value_key_member_id", "kind", "value_key", "member_id"),
        sa.CheckConstraint("kind IN ('discipline', 'skill')", name="kind_known"),
    )

    member_id: int = Field(foreign_key="members.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=16, primary_key=True)
    value_key: str = Field(max_length=50, primary_key=True)
    value: str = Field(max_length=50)
    position: int = Field(default=0)
