from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator
from typing_extensions import TypeAliasType

from app.core.pagination import Page
from app.core.patching import PatchBody
from app.core.types import Flag, Line, PositiveInt, Text, Title, UTCTimestamp, WebUrl
from app.mentoring.schemas import MentoringProfile, MentoringProfileUpdate
from app.models import Discipline, Role

Skill = Annotated[Title, StringConstraints(max_length=50)]
City = Annotated[Title, StringConstraints(max_length=80)]

_MEMBER_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "handle": "rina_draws",
    "display_name": "Rina Wijaya",
    "bio": "Illustrator from Bandung; ink, risograph and picture books.",
    "city": "Bandung",
    "disciplines": ["illustration", "design"],
    "skills": ["risograph", "procreate"],
    "links": ["https://rina.example.com"],
    "avatar_url": None,
    "avatar_media_id": None,
    "role": "member",
    "joined_at": "2026-03-01T09:30:00Z",
    "points": 120,
    "open_for_commissions": True,
    "is_active": True,
    "email": None,
    "email_verified": None,
    "mentoring": {"open": True, "topics": ["illustration", "risograph"], "capacity": 3},
}


# The caller's own profile carries the email (and so does an admin's view).
_OWN_PROFILE_EXAMPLE = {**_MEMBER_EXAMPLE, "email": "rina@example.com", "email_verified": True}


# A profile just registered: nothing filled in yet but what registration asks.
_NEW_PROFILE_EXAMPLE = {
    **_OWN_PROFILE_EXAMPLE,
    "email_verified": False,
    "bio": "",
    "city": None,
    "disciplines": [],
    "skills": [],
    "links": [],
    "points": 0,
    "open_for_commissions": False,
    "mentoring": None,
}


def with_own_profile_example(
    responses: dict[int | str, dict[str, Any]], status: int = 200, *, new: bool = False
) -> dict[int | str, dict[str, Any]]:
    """`responses=` of an operation that answers the caller's own profile: its example shows
    the email the answer really carries, where MemberPublic's (anyone's profile) has null;
    `new`: as registration answers it, before anything else is filled in."""
    example = _NEW_PROFILE_EXAMPLE if new else _OWN_PROFILE_EXAMPLE
    content = {"content": {"application/json": {"example": example}}}
    return {**responses, status: {**responses.get(status, {}), **content}}


class MemberPublic(BaseModel):
    """A member's profile. `email` is null unless the caller is that member or an admin."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MEMBER_EXAMPLE]})

    id: int
    handle: str
    display_name: str
    bio: str
    city: str | None
    disciplines: list[Discipline]
    skills: list[str]
    links: list[str]
    avatar_url: str | None = Field(
        description="A link to the avatar; with an uploaded avatar, its thumbnail "
        "(`/api/v1/media/{id}/content?variant=thumb`)."
    )
    avatar_media_id: int | None = Field(description="The uploaded avatar image, if any.")
    role: Role
    joined_at: datetime
    points: int
    open_for_commissions: bool
    is_active: bool
    email: str | None
    email_verified: bool | None = Field(
        description="Whether the member confirmed their address; null like `email`."
    )
    mentoring: MentoringProfile | None = Field(
        description="The mentor profile; null when the member does not offer mentoring."
    )


class MemberPage(Page[MemberPublic]):
    pass


# Fields that may be sent but never as null: they have no "unset" state.
_NOT_NULLABLE = frozenset(
    {"display_name", "bio", "disciplines", "skills", "links", "open_for_commissions", "email"}
)


class MemberUpdate(PatchBody):
    """Changes to one's own profile; only the fields sent are changed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "bio": "Illustrator from Bandung; ink, risograph and picture books.",
                    "city": "Bandung",
                    "disciplines": ["illustration"],
                    "open_for_commissions": True,
                },
                {"mentoring": {"open": True, "topics": ["illustration"], "capacity": 2}},
                {"email": "rina.wijaya@example.org", "current_password": "correct horse battery"},
            ]
        },
    )

    display_name: Annotated[Title, StringConstraints(max_length=80)] | None = None
    bio: Annotated[Text, StringConstraints(max_length=2000)] | None = None
    city: City | None = None
    disciplines: Annotated[list[Discipline], Field(max_length=9)] | None = None
    skills: Annotated[list[Skill], Field(max_length=20)] | None = None
    links: Annotated[list[WebUrl], Field(max_length=10)] | None = None
    avatar_url: WebUrl | None = Field(
        default=None, description="A link to an avatar elsewhere; clears `avatar_media_id`."
    )
    avatar_media_id: PositiveInt | None = Field(
        default=None,
        description="One of the caller's uploaded images (`POST /api/v1/media`) as the avatar; "
        "`avatar_url` becomes its thumbnail's path. `null` removes it (and `avatar_url`).",
    )
    open_for_commissions: Flag | None = None
    email: EmailStr | None = Field(
        default=None,
        max_length=254,
        description="A new address: it is mailed a token, and replaces the current one only "
        "once confirmed (`POST /api/v1/auth/verify-email`); the old address is told. Needs "
        "`current_password`.",
    )
    current_password: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Your current password, required with `email` (a wrong one is 403 "
        "`wrong_password`, limited like log-ins): a stolen access token alone cannot move "
        "the account to another address.",
    )
    mentoring: MentoringProfileUpdate | None = Field(
        default=None, description="Open or change the mentor profile; null closes it."
    )

    not_nullable = _NOT_NULLABLE

    @model_validator(mode="after")
    def _one_avatar(self) -> MemberUpdate:
        if {"avatar_url", "avatar_media_id"} <= self.model_fields_set and (
            self.avatar_url is not None or self.avatar_media_id is not None
        ):
            raise ValueError("send avatar_url or avatar_media_id, not both")
        return self

    @model_validator(mode="after")
    def _email_needs_password(self) -> MemberUpdate:
        if self.email is not None and self.current_password is None:
            raise ValueError("changing email needs current_password")
        return self


class MemberAdminUpdate(PatchBody):
    """What only an admin changes on a member: the role and whether the account is active."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "organizer"}]}
    )

    role: Role | None = None
    is_active: Flag | None = None

    not_nullable = frozenset({"role", "is_active"})


class MemberFilters(BaseModel):
    q: Annotated[Line, StringConstraints(max_length=100)] | None = Field(
        default=None, description="Part of a handle or display name."
    )
    city: City | None = None
    discipline: Discipline | None = None
    skill: Skill | None = None
    role: Role | None = None


TokenScope = TypeAliasType("TokenScope", Literal["read", "write"])


class PersonalTokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Discord bot", "scopes": ["read"], "expires_at": "2027-06-01T00:00:00Z"}
            ]
        },
    )

    name: Annotated[Title, StringConstraints(max_length=100)]
    scopes: Annotated[list[TokenScope], Field(min_length=1, max_length=2)]
    expires_at: UTCTimestamp | None = Field(default=None, description="Never expires when null.")


class PersonalTokenPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "name": "Discord bot",
                    "scopes": ["read"],
                    "token_hint": "…x9Qa",
                    "created_at": "2026-11-01T10:00:00Z",
                    "expires_at": None,
                    "last_used_at": "2026-11-20T08:15:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    scopes: list[TokenScope]
    token_hint: str = Field(description="The last characters of the secret.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When the token was last used, to the minute; recorded within seconds."
    )


class PersonalTokenCreated(PersonalTokenPublic):
    """The new token; `token` is the secret, shown this once and never again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "name": "Discord bot",
                    "scopes": ["read"],
                    "token_hint": "…x9Qa",
                    "created_at": "2026-11-01T10:00:00Z",
                    "expires_at": None,
                    "last_used_at": None,
                    "token": "sgr_pat_3q2+7w…x9Qa",
                }
            ]
        }
    )

    token: str


class PersonalTokenPage(Page[PersonalTokenPublic]):
    pass


class FirstStepKey(StrEnum):
    """The first things a newcomer can do, in the order they are offered."""

    COMPLETE_PROFILE = "complete_profile"
    JOIN_EVENT = "join_event"
    GIVE_FEEDBACK = "give_feedback"
    CAST_VOTE = "cast_vote"
    FIRST_SUBMISSION = "first_submission"
    FIND_MENTOR = "find_mentor"


class FirstStep(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"key": "join_event", "title": "Join an event", "done": False}]
        }
    )

    key: FirstStepKey
    title: str = Field(description="What to do, for a checklist.")
    done: bool = Field(description="Whether the member has done it.")


class FirstSteps(BaseModel):
    """The newcomer's checklist: always every step, in a fixed order (not paginated)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "key": "complete_profile",
                            "title": "Complete your profile: a bio and your disciplines",
                            "done": True,
                        },
                        {"key": "join_event", "title": "Join an event", "done": False},
                    ]
                }
            ]
        }
    )

    items: list[FirstStep]
