from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypeAliasType

from app.core.patching import PatchBody
from app.i18n import Locale
from app.mail import kinds

# Named, so the contract has one component per enum (the values of the database checks);
# `Locale` is app.i18n's, the member's column's.
DigestSetting = TypeAliasType("DigestSetting", Literal["weekly", "off"])

EXAMPLE_EMAIL = {
    kind: default for kind, default in kinds.EMAIL_DEFAULTS.items() if kind.startswith("ment")
}


class NotificationSettings(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "locale": "id",
                    "digest": "weekly",
                    "email": {**EXAMPLE_EMAIL, "comment.created": True, "badge.awarded": False},
                }
            ]
        }
    )

    locale: Locale = Field(
        description="The member's language: of their mails, notifications and problems."
    )
    digest: DigestSetting = Field(
        description="`weekly`: a digest of what the member missed, when they were away a week."
    )
    email: dict[str, bool] = Field(
        description="Per notification kind: whether it also comes by mail (in the app always)."
    )


class NotificationSettingsUpdate(PatchBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"digest": "off"},
                {"email": {"comment.created": False}},
                {"locale": "en"},
            ]
        },
    )
    not_nullable = frozenset({"locale", "digest", "email"})

    locale: Locale | None = Field(
        default=None, description="Changes the member's language (of mails, texts, problems)."
    )
    digest: DigestSetting | None = None
    email: dict[str, bool] | None = Field(
        default=None, description="Only the kinds to change; the others keep their setting."
    )

    @field_validator("email")
    @classmethod
    def _known_kinds(cls, email: dict[str, bool] | None) -> dict[str, bool] | None:
        unknown = sorted(set(email or {}) - set(kinds.EMAIL_DEFAULTS))
        if unknown:
            raise ValueError(f"unknown notification kinds: {', '.join(unknown)[:200]}")
        return email


class Unsubscribed(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "comment.created", "email": False}]}
    )

    kind: str = Field(description="The kind of mail turned off (`digest` for the digest).")
    email: Literal[False] = Field(description="Always false: that mail no longer comes.")
