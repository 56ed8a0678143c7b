"""Reports of content and members, grouped by target into one case organizers decide.

The case is the resource at `/reports/{report_id}`: every member's report of one target
(unique on target_type, target_id) with their reasons. A member reports a target once
(unique on case_id, reporter_id: a repeat is 409 `already_reported`); a report on a
resolved or dismissed case reopens it, and each (re)opening is announced to organizers
(`report.opened`). Deciding a case may hide its target: `hidden_at` on the target's row,
after which it leaves member lists but stays visible to organizers.

Filing takes the case row's lock (after an `INSERT … ON CONFLICT DO NOTHING` that makes
sure it exists), so concurrent reports of one target are counted one after the other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.conversation import comments, ideas, threads
from app.conversation.exceptions import AlreadyReported, ReportNotFound, ReportTargetNotFound
from app.conversation.schemas import (
    REPORTS_SHOWN,
    ReportCreate,
    ReportEntry,
    ReportFilters,
    ReportPublic,
    ReportUpdate,
)
from app.core.clock import utcnow
from app.core.db import NO_SYNC, rows_affected, upsert_insert
from app.core.domain_events import ContentHidden, ReportOpened, publish
from app.core.errors import NotFound
from app.core.pagination import PageParams, desc, paginate
from app.i18n import N_, message
from app.members import service as members
from app.models import (
    CaseStatus,
    Comment,
    Idea,
    Member,
    Post,
    Report,
    ReportCase,
    ReportTarget,
    Submission,
    Thread,
    is_organizer,
)
from app.principal.changes import principals_changed
from app.problems.details import does_not_exist
from app.submissions import service as submissions

TABLES: dict[ReportTarget, Any] = {
    ReportTarget.SUBMISSION: Submission,
    ReportTarget.COMMENT: Comment,
    ReportTarget.THREAD: Thread,
    ReportTarget.POST: Post,
    ReportTarget.IDEA: Idea,
    ReportTarget.MEMBER: Member,
}
# What a problem about a report calls its target, in each language.
NAMES = {
    ReportTarget.SUBMISSION: N_("submission"),
    ReportTarget.COMMENT: N_("comment"),
    ReportTarget.THREAD: N_("thread"),
    ReportTarget.POST: N_("post"),
    ReportTarget.IDEA: N_("idea"),
    ReportTarget.MEMBER: N_("member"),
}


def _find_target(session: Session, *, target: ReportTarget, target_id: int, viewer: Member) -> None:
    """Looks the target up by its feature's own visibility rule (each raises a 404)."""
    if target == ReportTarget.SUBMISSION:
        submissions.get_visible(session, submission_id=target_id, viewer=viewer)
    elif target == ReportTarget.COMMENT:
        comments.get_comment(session, comment_id=target_id, viewer=viewer)
    elif target == ReportTarget.THREAD:
        threads.get_thread(session, thread_id=target_id, viewer=viewer)
    elif target == ReportTarget.POST:
        threads.get_post(session, post_id=target_id, viewer=viewer)
    elif target == ReportTarget.IDEA:
        ideas.get_idea(session, idea_id=target_id, viewer=viewer)
    else:
        members.get_visible(session, member_id=target_id, viewer=viewer)


def _require_target(session: Session, *, data: ReportCreate, reporter: Member) -> None:
    """The target must exist for the reporter (404 otherwise)."""
    try:
        _find_target(session, target=data.target_type, target_id=data.target_id, viewer=reporter)
    except NotFound as error:
        raise ReportTargetNotFound(
            N_("There is no {target_type} {target_id} to report."),
            values={"target_type": message(NAMES[data.target_type]), "target_id": data.target_id},
        ) from error


def _lock_case(session: Session, *, target_type: str, target_id: int, now: datetime) -> ReportCase:
    created = upsert_insert(session, ReportCase).values(
        target_type=target_type,
        target_id=target_id,
        status=CaseStatus.OPEN,
        report_count=0,
        first_reported_at=now,
        last_reported_at=now,
    )
    session.execute(created.on_conflict_do_nothing(index_elements=["target_type", "target_id"]))
    return session.exec(
        select(ReportCase)
        .where(ReportCase.target_type == target_type, ReportCase.target_id == target_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def file_report(session: Session, *, reporter: Member, data: ReportCreate) -> ReportCase:
    _require_target(session, data=data, reporter=reporter)
    now = utcnow()
    case = _lock_case(session, target_type=data.target_type, target_id=data.target_id, now=now)
    report = upsert_insert(session, Report).values(
        case_id=case.id, reporter_id=reporter.id, reason=data.reason, created_at=now
    )
    inserted = session.execute(
        report.on_conflict_do_nothing(index_elements=["case_id", "reporter_id"]).returning(
            col(Report.id)
        )
    ).first()
    if inserted is None:
        raise AlreadyReported(
            N_("You already reported this {target_type}."),
            values={"target_type": message(NAMES[data.target_type])},
        )
    opens = case.report_count == 0 or case.status != CaseStatus.OPEN
    session.execute(
        sa.update(ReportCase)
        .where(col(ReportCase.id) == case.id)
        .values(
            report_count=col(ReportCase.report_count) + 1,
            last_reported_at=now,
            status=CaseStatus.OPEN,
            resolved_at=None,
            resolved_by_id=None,
        ),
        execution_options=NO_SYNC,
    )
    session.refresh(case)
    if opens:
        assert case.id is not None  # flushed
        publish(
            session,
            ReportOpened(
                actor_id=reporter.id,
                case_id=case.id,
                target_type=case.target_type,
                target_id=case.target_id,
            ),
        )
    return case


def get_case(session: Session, *, case_id: int, viewer: Member, lock: bool = False) -> ReportCase:
    """Organizers see every case; a member only the cases they reported."""
    statement = select(ReportCase).where(ReportCase.id == case_id)
    if lock:
        statement = statement.with_for_update(key_share=True).execution_options(
            populate_existing=True
        )
    case = session.exec(statement).first()
    if case is not None and not is_organizer(viewer):
        reported = session.exec(
            select(Report.id).where(Report.case_id == case_id, Report.reporter_id == viewer.id)
        ).first()
        case = case if reported is not None else None
    if case is None:
        raise does_not_exist(ReportNotFound, N_("Report"), case_id)
    return case


def decide(
    session: Session, *, case: ReportCase, changes: ReportUpdate, organizer: Member
) -> ReportCase:
    """Resolves or dismisses every report of the target; may hide (or show again) it."""
    now = utcnow()
    before = audit.snapshot(case, AUDITED_CASE_FIELDS)
    case.status = changes.status
    case.resolved_at = now
    case.resolved_by_id = organizer.id
    if "note" in changes.model_fields_set:
        case.note = changes.note
    if changes.hide_target is not None:
        _set_hidden(session, case=case, hidden=changes.hide_target, now=now, actor=organizer)
    session.add(case)
    session.flush()
    audit.record(
        session,
        actor=organizer,
        action=DECISION_ACTIONS[CaseStatus(case.status)],
        target_type="report",
        target_id=case.id,  # type: ignore[arg-type]
        changes=audit.diff(before, audit.snapshot(case, AUDITED_CASE_FIELDS)),
    )
    return case


# The moderation decision as the audit log records it: status, note and hidden content.
AUDITED_CASE_FIELDS = ("status", "note", "target_hidden_at")
DECISION_ACTIONS = {
    CaseStatus.RESOLVED: "report.resolved",
    CaseStatus.DISMISSED: "report.dismissed",
    CaseStatus.OPEN: "report.reopened",
}


def _set_hidden(
    session: Session, *, case: ReportCase, hidden: bool, now: datetime, actor: Member
) -> None:
    table = TABLES[ReportTarget(case.target_type)]
    hidden_at = col(table.hidden_at)
    statement = sa.update(table).where(col(table.id) == case.target_id)
    statement = statement.where(hidden_at.is_(None) if hidden else hidden_at.is_not(None))
    changed = session.execute(
        statement.values(hidden_at=now if hidden else None), execution_options=NO_SYNC
    )
    case.target_hidden_at = now if hidden else None
    if table is Member:  # a member's row changed: their remembered principal is stale
        principals_changed(session, member_ids=[case.target_id])
    if hidden and rows_affected(changed):
        publish(
            session,
            ContentHidden(
                actor_id=actor.id, target_type=case.target_type, target_id=case.target_id
            ),
        )


def list_cases(
    session: Session, *, filters: ReportFilters, params: PageParams
) -> tuple[list[ReportCase], str | None]:
    """Cases newest first, for organizers; filter by status or target type."""
    statement = select(ReportCase)
    if filters.status is not None:
        statement = statement.where(ReportCase.status == filters.status)
    if filters.target_type is not None:
        statement = statement.where(ReportCase.target_type == filters.target_type)
    return paginate(session, statement, keys=[desc(ReportCase.id)], params=params)


def _entries(
    session: Session, case_ids: list[int], *, viewer: Member
) -> dict[int, list[ReportEntry]]:
    """The latest reports of every case on a page, in one query (a window per case)."""
    found: dict[int, list[ReportEntry]] = defaultdict(list)
    if not case_ids:
        return found
    rank = sa.func.row_number().over(
        partition_by=col(Report.case_id), order_by=col(Report.id).desc()
    )
    ranked = sa.select(  # type: ignore[call-overload]
        Report.case_id, Report.reporter_id, Report.reason, Report.created_at, rank.label("rank")
    ).where(col(Report.case_id).in_(case_ids))
    if not is_organizer(viewer):
        ranked = ranked.where(col(Report.reporter_id) == viewer.id)
    latest = ranked.subquery()
    rows = session.execute(
        sa.select(latest)
        .where(latest.c.rank <= REPORTS_SHOWN)
        .order_by(latest.c.case_id, latest.c.rank)
    )
    for row in rows:
        found[row.case_id].append(
            ReportEntry(reporter_id=row.reporter_id, reason=row.reason, reported_at=row.created_at)
        )
    return found


def present_cases(
    session: Session, cases: Sequence[ReportCase], *, viewer: Member
) -> list[ReportPublic]:
    entries = _entries(session, [c.id for c in cases if c.id is not None], viewer=viewer)
    organizer = is_organizer(viewer)
    return [
        ReportPublic(
            id=case.id,  # type: ignore[arg-type]
            target_type=ReportTarget(case.target_type),
            target_id=case.target_id,
            status=CaseStatus(case.status),
            report_count=case.report_count,
            reports=entries[case.id],  # type: ignore[index]
            first_reported_at=case.first_reported_at,
            last_reported_at=case.last_reported_at,
            target_hidden=case.target_hidden_at is not None,
            resolved_at=case.resolved_at,
            resolved_by_id=case.resolved_by_id,
            note=case.note if organizer else None,
        )
        for case in cases
    ]


def present_case(session: Session, case: ReportCase, *, viewer: Member) -> ReportPublic:
    return present_cases(session, [case], viewer=viewer)[0]
