"""Members: creation, profiles, the directory, roles and personal access tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import rows_affected
from app.core.domain_events import MemberJoined, publish
from app.core.pagination import PageParams, asc, paginate
from app.core.security import PAT_PREFIX, hash_password, hash_secret, new_secret
from app.i18n import N_, Locale
from app.media import access as media_access
from app.media import attachments
from app.media.presenters import content_path
from app.members.exceptions import EmailTaken, HandleTaken, LastAdmin, MemberNotFound, TokenNotFound
from app.members.schemas import (
    MemberAdminUpdate,
    MemberFilters,
    MemberPublic,
    MemberUpdate,
    PersonalTokenCreate,
)
from app.mentoring import profiles as mentor_profiles
from app.mentoring.schemas import MentoringProfile
from app.models import (
    AuthSession,
    CalendarFeedToken,
    Member,
    MemberTag,
    PersonalAccessToken,
    Role,
    TagKind,
)
from app.principal.changes import principals_changed
from app.problems.details import does_not_exist
from app.readmodels import ReadStatement


def create_member(
    session: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    handle: str,
    display_name: str,
    role: Role = Role.MEMBER,
    locale: Locale | None = None,
) -> Member:
    member = Member(
        email=email.lower(),
        handle=handle,
        handle_key=handle.lower(),
        display_name=display_name,
        password_hash=hash_password(settings, password),
        role=role,
        locale=locale,
    )
    _raise_if_taken(session, email=member.email, handle_key=member.handle_key)
    try:
        # The unique constraints decide races the check above could not see.
        with session.begin_nested():
            session.add(member)
    except IntegrityError as error:
        _raise_if_taken(session, email=member.email, handle_key=member.handle_key)
        raise HandleTaken(N_("This handle or email is already registered.")) from error
    assert member.id is not None  # flushed by the savepoint
    publish(session, MemberJoined(actor_id=member.id, member_id=member.id))
    return member


def _raise_if_taken(session: Session, *, email: str, handle_key: str) -> None:
    taken = session.exec(
        select(Member.email, Member.handle_key).where(
            sa.or_(col(Member.email) == email, col(Member.handle_key) == handle_key)
        )
    ).all()
    if any(found_handle == handle_key for _, found_handle in taken):
        raise HandleTaken(N_("This handle is taken (handles are unique ignoring case)."))
    if taken:
        raise EmailTaken(N_("An account with this email already exists."))


def find_by_login(session: Session, username: str) -> Member | None:
    """Log-in accepts an email or a handle, both ignoring case."""
    key = username.strip().lower()
    column = Member.email if "@" in key else Member.handle_key
    return session.exec(select(Member).where(column == key)).first()


def get_visible(session: Session, *, member_id: int, viewer: Member | None) -> Member:
    """A member the viewer may see: deactivated members exist only for admins."""
    member = session.get(Member, member_id)
    if member is None or not (member.is_active or is_admin(viewer)):
        raise does_not_exist(MemberNotFound, N_("Member"), member_id)
    return member


@media_access.register
def shows_avatar(session: Session, media_id: int, viewer: Member | None) -> bool:
    """Whether the media is the avatar of a member whose profile this viewer may see."""
    statement = select(Member).where(col(Member.avatar_media_id) == media_id)
    if not is_admin(viewer):
        statement = statement.where(col(Member.is_active).is_(True))
    return session.exec(statement.limit(1)).first() is not None


def get_for_update(session: Session, *, member_id: int) -> Member:
    member = session.exec(select(Member).where(Member.id == member_id).with_for_update()).first()
    if member is None:
        raise does_not_exist(MemberNotFound, N_("Member"), member_id)
    return member


def is_admin(viewer: Member | None) -> bool:
    return viewer is not None and viewer.role == Role.ADMIN


# Plain rows, not ORM objects, and built once: this runs for every page of the directory.
_TAGS_OF_MEMBERS = ReadStatement(
    sa.select(MemberTag.member_id, MemberTag.kind, MemberTag.value)  # type: ignore[call-overload]
    .where(col(MemberTag.member_id).in_(sa.bindparam("member_ids", expanding=True)))
    .order_by(col(MemberTag.member_id), col(MemberTag.kind), col(MemberTag.position))
)


def load_tags(
    session: Session | Connection, member_ids: Iterable[int]
) -> dict[int, dict[str, list[str]]]:
    """Disciplines and skills of many members in one query (no query per member)."""
    tags: dict[int, dict[str, list[str]]] = defaultdict(
        lambda: {TagKind.DISCIPLINE: [], TagKind.SKILL: []}
    )
    ids = list(member_ids)
    if not ids:
        return tags
    rows = _TAGS_OF_MEMBERS.rows(session, {"member_ids": ids})
    for member_id, kind, value in rows:
        tags[member_id][kind].append(value)
    return tags


def to_public(
    member: Member | sa.Row[*tuple[Any, ...]],
    tags: dict[str, list[str]],
    *,
    viewer: Member | None,
    mentoring: MentoringProfile | None = None,
) -> MemberPublic:
    sees_email = viewer is not None and (viewer.id == member.id or is_admin(viewer))
    return MemberPublic(
        id=member.id,  # type: ignore[arg-type]
        handle=member.handle,
        display_name=member.display_name,
        bio=member.bio,
        city=member.city,
        disciplines=tags[TagKind.DISCIPLINE],  # type: ignore[arg-type]
        skills=tags[TagKind.SKILL],
        links=member.links,
        avatar_url=member.avatar_url,
        avatar_media_id=member.avatar_media_id,
        role=Role(member.role),
        joined_at=member.joined_at,
        points=member.points,
        open_for_commissions=member.open_for_commissions,
        is_active=member.is_active,
        email=member.email if sees_email else None,
        email_verified=(member.email_verified_at is not None) if sees_email else None,
        mentoring=mentoring,
    )


def present(session: Session, member: Member, *, viewer: Member | None) -> MemberPublic:
    return present_many(session, [member], viewer=viewer)[0]


def present_many(
    session: Session, members: Sequence[Member], *, viewer: Member | None
) -> list[MemberPublic]:
    """Profiles of a page of members: one query for their tags, one for mentor profiles."""
    ids: list[int] = [m.id for m in members]  # type: ignore[misc]
    tags = load_tags(session, ids)
    mentoring = mentor_profiles.load(session, ids)
    return [
        to_public(m, tags[member_id], viewer=viewer, mentoring=mentoring.get(member_id))
        for m, member_id in zip(members, ids, strict=True)
    ]


DIRECTORY_KEYS = [asc(Member.id)]


def filter_conditions(filters: MemberFilters) -> list[sa.ColumnElement[bool]]:
    """The directory's filters as conditions on `members` (app.members.reads)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.q:
        needle = filters.q.lower()
        conditions.append(
            sa.or_(
                col(Member.handle_key).contains(needle, autoescape=True),
                sa.func.lower(Member.display_name).contains(needle, autoescape=True),
            )
        )
    if filters.city:
        conditions.append(col(Member.city_key) == filters.city.lower())
    if filters.role:
        conditions.append(col(Member.role) == filters.role)
    for kind, value in ((TagKind.DISCIPLINE, filters.discipline), (TagKind.SKILL, filters.skill)):
        if value:
            conditions.append(_has_tag(kind, value))
    return conditions


def _has_tag(kind: TagKind, value: str) -> sa.ColumnElement[bool]:
    return (
        select(MemberTag.member_id)
        .where(
            MemberTag.member_id == Member.id,
            MemberTag.kind == kind,
            MemberTag.value_key == value.lower(),
        )
        .exists()
    )


def update_profile(session: Session, *, member: Member, changes: MemberUpdate) -> Member:
    sent = changes.model_dump(exclude_unset=True)
    sent.pop("email", None)  # changed only once the new address confirms (app.accounts)
    sent.pop("current_password", None)  # checked there, never stored
    if "mentoring" in sent:
        del sent["mentoring"]
        mentor_profiles.save(session, member_id=member.id, profile=changes.mentoring)  # type: ignore[arg-type]
    for kind, field in ((TagKind.DISCIPLINE, "disciplines"), (TagKind.SKILL, "skills")):
        if field in sent:
            _replace_tags(session, member_id=member.id, kind=kind, values=sent.pop(field))  # type: ignore[arg-type]
    if "city" in sent:
        member.city_key = sent["city"].lower() if sent["city"] else None
    if "avatar_media_id" in sent:
        _set_avatar(session, member=member, media_id=sent.pop("avatar_media_id"))
    elif "avatar_url" in sent:
        member.avatar_media_id = None  # a link elsewhere replaces the uploaded avatar
    for field, value in sent.items():
        setattr(member, field, value)
    session.add(member)
    session.flush()
    principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
    return member


def _set_avatar(session: Session, *, member: Member, media_id: int | None) -> None:
    """An uploaded avatar: `avatar_url` is set to its thumbnail's path here, once, so that
    every place that shows a member (works' authors, comments, RSVPs, …) keeps reading the
    one column it reads, with no extra query."""
    if media_id is not None:
        attachments.attach(
            session,
            owner_id=member.id,  # type: ignore[arg-type]
            media_ids=[media_id],
            field="avatar_media_id",
            kinds=attachments.IMAGES,
            listed=False,
        )
    member.avatar_media_id = media_id
    member.avatar_url = content_path(media_id, "thumb") if media_id is not None else None


def _audit_admin_update(
    session: Session, *, member: Member, changed: dict[str, Any], actor: Member
) -> None:
    """One entry per kind of change: a role change, a deactivation, a reactivation."""
    if "role" in changed:
        _record_member(session, "member.role_changed", member, {"role": changed["role"]}, actor)
    if "is_active" in changed:
        action = "member.reactivated" if member.is_active else "member.deactivated"
        _record_member(session, action, member, {"is_active": changed["is_active"]}, actor)


def _record_member(
    session: Session, action: str, member: Member, changes: dict[str, Any], actor: Member
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="member",
        target_id=member.id,  # type: ignore[arg-type]
        changes=changes,
    )


def _replace_tags(session: Session, *, member_id: int, kind: TagKind, values: list[str]) -> None:
    session.execute(
        sa.delete(MemberTag).where(
            col(MemberTag.member_id) == member_id, col(MemberTag.kind) == kind
        )
    )
    unique: dict[str, str] = {}
    for value in values:
        unique.setdefault(str(value).lower(), str(value))
    for position, (key, value) in enumerate(unique.items()):
        session.add(
            MemberTag(member_id=member_id, kind=kind, value_key=key, value=value, position=position)
        )
    session.flush()


def admin_update(
    session: Session, *, member: Member, changes: MemberAdminUpdate, actor: Member
) -> Member:
    sent = changes.model_dump(exclude_unset=True)
    before = audit.snapshot(member, sent)
    loses_admin = member.role == Role.ADMIN and (
        sent.get("role", Role.ADMIN) != Role.ADMIN or sent.get("is_active") is False
    )
    if loses_admin:
        _ensure_another_admin(session, member_id=member.id)  # type: ignore[arg-type]
    changed = audit.diff(before, sent)
    for field, value in sent.items():
        setattr(member, field, value)
    session.add(member)
    session.flush()
    if "is_active" in changed:
        _end_credentials(session, member_id=member.id)  # type: ignore[arg-type]
    principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
    _audit_admin_update(session, member=member, changed=changed, actor=actor)
    return member


def _end_credentials(session: Session, *, member_id: int) -> None:
    """Ends every log-in (and with it every access and refresh token issued for it) and
    deletes every personal access and calendar-feed token, for good: a reactivated member
    starts with none. Done on reactivation too, so a log-in that raced the deactivation
    (it read the member still active) does not come back with the member."""
    session.execute(
        sa.update(AuthSession)
        .where(col(AuthSession.member_id) == member_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    for table in (PersonalAccessToken, CalendarFeedToken):
        session.execute(sa.delete(table).where(col(table.member_id) == member_id))


def _ensure_another_admin(session: Session, *, member_id: int) -> None:
    """The community must keep one active admin. The admins are locked (PostgreSQL) so two
    admins demoting each other at once cannot both succeed; SQLite serialises writers."""
    others = session.exec(
        select(Member.id)
        .where(Member.role == Role.ADMIN, col(Member.is_active).is_(True), Member.id != member_id)
        .with_for_update()
    ).all()
    if not others:
        raise LastAdmin(N_("This is the last active admin; promote another admin first."))


def create_token(
    session: Session, *, member: Member, data: PersonalTokenCreate
) -> tuple[PersonalAccessToken, str]:
    secret = new_secret(PAT_PREFIX)
    token = PersonalAccessToken(
        member_id=member.id,  # type: ignore[arg-type]
        name=data.name,
        token_hash=hash_secret(secret),
        token_hint="…" + secret[-4:],
        scopes=sorted(set(data.scopes)),
        expires_at=data.expires_at,
    )
    session.add(token)
    session.flush()
    _audit_admin_token(session, member=member, action="token.created", token_id=token.id)
    return token, secret


def _audit_admin_token(
    session: Session, *, member: Member, action: str, token_id: int | None
) -> None:
    """An admin's token can do everything an admin can: who made or revoked one is logged."""
    if member.role == Role.ADMIN and token_id is not None:
        audit.record(session, actor=member, action=action, target_type="token", target_id=token_id)


def list_tokens(
    session: Session, *, member: Member, params: PageParams
) -> tuple[list[PersonalAccessToken], str | None]:
    statement = select(PersonalAccessToken).where(PersonalAccessToken.member_id == member.id)
    return paginate(session, statement, keys=[asc(PersonalAccessToken.id)], params=params)


def delete_token(session: Session, *, member: Member, token_id: int) -> None:
    deleted = rows_affected(
        session.execute(
            sa.delete(PersonalAccessToken).where(
                col(PersonalAccessToken.id) == token_id,
                col(PersonalAccessToken.member_id) == member.id,
            )
        )
    )
    if deleted == 0:
        raise does_not_exist(TokenNotFound, N_("Token"), token_id)
    principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
    _audit_admin_token(session, member=member, action="token.deleted", token_id=token_id)


def get_token(session: Session, *, member: Member, token_id: int) -> PersonalAccessToken:
    token = session.get(PersonalAccessToken, token_id)
    if token is None or token.member_id != member.id:
        raise does_not_exist(TokenNotFound, N_("Token"), token_id)
    return token


def ensure_bootstrap_admin(session: Session, settings: Settings) -> Member | None:
    """Creates the admin named in settings when the community has no admin yet."""
    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    if not email or password is None:
        return None
    if session.exec(select(Member.id).where(Member.role == Role.ADMIN)).first() is not None:
        return None
    try:
        return create_member(
            session,
            settings,
            email=email,
            password=password.get_secret_value(),
            handle=settings.bootstrap_admin_handle,
            display_name="Admin",
            role=Role.ADMIN,
        )
    except (HandleTaken, EmailTaken):
        return None  # another process got there first, or the account exists already
