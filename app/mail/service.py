"""A member's mail choices: which notification kinds come by mail, and the weekly digest."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.i18n import Locale
from app.mail import kinds
from app.models import DigestSetting, MailSettings, Member
from app.principal.changes import principals_changed


def settings_of(session: Session, member_id: int) -> MailSettings:
    """The member's row, or the defaults (not written) when they never changed anything."""
    row = session.get(MailSettings, member_id)
    return row if row is not None else MailSettings(member_id=member_id)


def email_choices(row: MailSettings) -> dict[str, bool]:
    return {kind: row.email.get(kind, default) for kind, default in kinds.EMAIL_DEFAULTS.items()}


def lock(session: Session, member_id: int) -> MailSettings:
    """The member's row, created if missing (INSERT … ON CONFLICT DO NOTHING, so two first
    changes at once do not collide) and locked until the commit (PostgreSQL)."""
    session.execute(
        upsert_insert(session, MailSettings)
        .values(
            member_id=member_id, digest=DigestSetting.WEEKLY.value, email={}, updated_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["member_id"])
    )
    row: MailSettings = session.execute(
        sa.select(MailSettings)
        .where(col(MailSettings.member_id) == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return row


def update(
    session: Session,
    member_id: int,
    *,
    digest: str | None = None,
    email: dict[str, bool] | None = None,
) -> MailSettings:
    """Changes what is given; kinds not named keep their setting. The caller commits."""
    row = lock(session, member_id)
    values: dict[str, object] = {"updated_at": utcnow()}
    if digest is not None:
        values["digest"] = digest
    if email is not None:
        merged = {**row.email, **email}
        values["email"] = {k: v for k, v in merged.items() if k in kinds.EMAIL_DEFAULTS}
    session.execute(
        sa.update(MailSettings).where(col(MailSettings.member_id) == member_id).values(**values)
    )
    session.flush()
    session.refresh(row)
    return row


def set_locale(session: Session, member: Member, locale: Locale) -> None:
    """The member's language from now on. The caller commits."""
    session.execute(
        sa.update(Member).where(col(Member.id) == member.id).values(locale=locale.value),
        execution_options={"synchronize_session": False},
    )
    set_committed_value(member, "locale", locale.value)  # as written, without a 2nd UPDATE
    # Its log-ins are remembered with the member (app.principal.cache): forget them.
    principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]


def unsubscribe(session: Session, member_id: int, kind: str) -> bool:
    """Turns one kind of mail off (the digest for `digest`); False for an unknown member or
    kind. The caller commits."""
    if session.get(Member, member_id) is None:
        return False
    if kind == kinds.DIGEST:
        update(session, member_id, digest=DigestSetting.OFF.value)
        return True
    if kind not in kinds.EMAIL_DEFAULTS:
        return False
    update(session, member_id, email={kind: False})
    return True
