"""The weekly digest: what a silent member missed, once per member and ISO week.

Every process runs the job every `SANGGAR_MAIL_DIGEST_SECONDS`; one run walks the members
in pages of `BATCH` members by id (keyset: constant memory however many members, and each
page reads its own members only, so a run costs the same per member however many), and for
each page:

1. picks the members owed a digest: active accounts with `digest: weekly` (no
   `mail_settings` row means the default, weekly), who joined more than 7 days ago, were
   not active in the last 7 days (no refresh token issued and no personal access token
   used: a client refreshes its access token every few minutes while in use), and have
   no digest this week yet;
2. keeps those who have something to tell: the community's news of the week (challenges
   open now, events of the next two weeks with the member's city first, works that
   reached the showcase in the week, the threads with the most posts in the week) or
   first steps they have not taken;
3. claims them: `INSERT INTO mail_digests (member_id, week) … ON CONFLICT DO NOTHING
   RETURNING member_id` — the database, not a lock in memory, decides who writes a
   member's digest, so two processes (or two runs) never mail one member twice a week;
4. writes the claimed members' mails to the outbox, and commits the page.

The news is read once per run; each member costs one statement (their first steps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.core import periodic
from app.core.clock import utcnow
from app.core.db import upsert_insert
from app.mail import kinds, links, outbox
from app.mail.links import AppRoute
from app.members import first_steps
from app.models import (
    AuthSession,
    Challenge,
    DigestSetting,
    Event,
    EventStatus,
    MailDigest,
    MailSettings,
    Member,
    PersonalAccessToken,
    Post,
    RefreshToken,
    Submission,
    Thread,
)

BATCH = 500
WEEK = timedelta(days=7)
EVENTS_AHEAD = timedelta(days=14)
PER_SECTION = 5


def week_of(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class News:
    challenges: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # with "city_key", dropped later
    works: list[dict[str, Any]] = field(default_factory=list)
    threads: list[dict[str, Any]] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.challenges or self.events or self.works or self.threads)


@dataclass
class DigestRun:
    week: str
    members_seen: int = 0
    mailed: int = 0


def news_of_the_week(session: Session, now: datetime) -> News:
    news = News()
    for challenge_id, title, closes in session.execute(
        sa.select(col(Challenge.id), col(Challenge.title), col(Challenge.submissions_close_at))
        .where(
            col(Challenge.published),
            col(Challenge.submissions_open_at) <= now,
            col(Challenge.submissions_close_at) > now,
        )
        .order_by(col(Challenge.submissions_close_at), col(Challenge.id))
        .limit(PER_SECTION)
    ):
        news.challenges.append(
            {
                "title": title,
                "path": links.app_path(AppRoute.CHALLENGE, challenge_id=challenge_id),
                "detail": f"{closes:%Y-%m-%d}",
            }
        )
    for event_id, title, starts, city, city_key in session.execute(
        sa.select(
            col(Event.id),
            col(Event.title),
            col(Event.starts_at),
            col(Event.city),
            col(Event.city_key),
        )
        .where(
            col(Event.status) == EventStatus.PUBLISHED.value,
            col(Event.starts_at) > now,
            col(Event.starts_at) <= now + EVENTS_AHEAD,
        )
        .order_by(col(Event.starts_at), col(Event.id))
        .limit(50)
    ):
        detail = f"{starts:%Y-%m-%d}" + (f", {city}" if city else "")
        news.events.append(
            {
                "title": title,
                "path": links.app_path(AppRoute.EVENT, event_id=event_id),
                "detail": detail,
                "city_key": city_key,
            }
        )
    for work_id, title in session.execute(
        sa.select(col(Submission.id), col(Submission.title))
        .where(
            col(Submission.showcased_at) > now - WEEK,
            col(Submission.showcased_at) <= now,
            sa.not_(col(Submission.disqualified)),
        )
        .order_by(col(Submission.vote_count).desc(), col(Submission.id))
        .limit(PER_SECTION)
    ):
        news.works.append(
            {
                "title": title,
                "path": links.app_path(AppRoute.SUBMISSION, submission_id=work_id),
                "detail": None,
            }
        )
    posts = sa.func.count(col(Post.id)).label("posts")
    for thread_id, title, _posts in session.execute(
        sa.select(col(Thread.id), col(Thread.title), posts)
        .join(Post, col(Post.thread_id) == col(Thread.id))
        .where(
            col(Thread.hidden_at).is_(None),
            col(Thread.last_post_at) > now - WEEK,
            col(Post.created_at) > now - WEEK,
            col(Post.deleted_at).is_(None),
            col(Post.hidden_at).is_(None),
        )
        .group_by(col(Thread.id), col(Thread.title))
        .order_by(posts.desc(), col(Thread.id))
        .limit(PER_SECTION)
    ):
        news.threads.append(
            {
                "title": title,
                "path": links.app_path(AppRoute.THREAD, thread_id=thread_id),
                "detail": None,
            }
        )
    return news


def _active_since(since: datetime) -> sa.ColumnElement[bool]:
    refreshed = (
        sa.exists()
        .select_from(
            sa.join(RefreshToken, AuthSession, col(AuthSession.id) == col(RefreshToken.session_id))
        )
        .where(col(AuthSession.member_id) == col(Member.id), col(RefreshToken.created_at) >= since)
    )
    used_token = sa.exists().where(
        col(PersonalAccessToken.member_id) == col(Member.id),
        col(PersonalAccessToken.last_used_at) >= since,
    )
    return sa.or_(refreshed, used_token)


def _window_end(session: Session, after: int, batch: int) -> int | None:
    """The last id of the next `batch` members after `after` (None: no members left).

    A page looks at exactly the members of its id window, owed or not. Asking instead for
    the next `batch` members owed (a LIMIT over the filters) let PostgreSQL, estimating
    the filters badly, filter and sort every member after `after` on each page: every
    page cost the whole rest of the table, a run the square of the member count."""
    window = (
        sa.select(col(Member.id))
        .where(col(Member.id) > after)
        .order_by(col(Member.id))
        .limit(batch)
        .subquery()
    )
    last: int | None = session.execute(sa.select(sa.func.max(window.c.id))).scalar_one()
    return last


def _owed(after: int, upto: int, now: datetime, week: str) -> Any:
    since = now - WEEK
    columns: list[Any] = [
        col(Member.id),
        col(Member.email),
        col(Member.display_name),
        col(Member.handle),
        col(Member.city_key),
        col(Member.locale),
    ]
    this_week = sa.exists().where(
        col(MailDigest.member_id) == col(Member.id), col(MailDigest.week) == week
    )
    return (
        sa.select(*columns)
        .outerjoin(MailSettings, col(MailSettings.member_id) == col(Member.id))
        .where(
            col(Member.id) > after,
            col(Member.id) <= upto,
            col(Member.is_active),
            sa.or_(
                col(MailSettings.digest).is_(None),
                col(MailSettings.digest) == DigestSetting.WEEKLY.value,
            ),
            col(Member.joined_at) < since,
            ~this_week,
            ~_active_since(since),
        )
        .order_by(col(Member.id))
    )


def _events_for(news: News, city_key: str | None) -> list[dict[str, Any]]:
    ordered = sorted(news.events, key=lambda e: city_key is None or e["city_key"] != city_key)
    return [{k: v for k, v in e.items() if k != "city_key"} for e in ordered[:PER_SECTION]]


def _unfinished(session: Session, member_id: int) -> list[str]:
    steps = first_steps.first_steps(session, member_id=member_id)
    return [step.key.value for step in steps.items if not step.done]


def run(session: Session, *, now: datetime | None = None, batch: int = BATCH) -> DigestRun:
    """Writes this week's digests owed; commits after each page. Returns what it did."""
    now = now or utcnow()
    week = week_of(now)
    result = DigestRun(week=week)
    news = news_of_the_week(session, now)
    after = 0
    while not periodic.stopping():
        upto = _window_end(session, after, batch)
        if upto is None:
            break
        members = session.execute(_owed(after, upto, now, week)).all()
        after = upto
        result.members_seen += len(members)
        contexts: dict[int, tuple[Any, dict[str, Any]]] = {}
        for row in members:
            steps = _unfinished(session, row[0])
            if not news.any() and not steps:
                continue  # nothing to tell, no mail
            contexts[row[0]] = (
                row,
                {
                    "display_name": row[2],
                    "handle": row[3],
                    "challenges": news.challenges,
                    "events": _events_for(news, row[4]),
                    "works": news.works,
                    "threads": news.threads,
                    "first_steps": steps,
                },
            )
        claimed = _claim(session, week, now, list(contexts))
        messages = []
        for member_id in claimed:
            row, context = contexts[member_id]
            locale = outbox.language(row[5])
            messages.append(
                {
                    "member_id": member_id,
                    "recipient": row[1],
                    "template": "digest",
                    "locale": locale,
                    "unsubscribe_kind": kinds.DIGEST,
                    "context": context,
                }
            )
        result.mailed += outbox.enqueue_many(session, messages)
        session.commit()
        session.expunge_all()
    return result


def _claim(session: Session, week: str, now: datetime, member_ids: list[int]) -> list[int]:
    """The members whose digest of the week this run writes: the key's INSERT decides."""
    if not member_ids:
        return []
    claimed = session.execute(
        upsert_insert(session, MailDigest)
        .values([{"member_id": m, "week": week, "created_at": now} for m in member_ids])
        .on_conflict_do_nothing(index_elements=["member_id", "week"])
        .returning(col(MailDigest.member_id))
    ).scalars()
    return sorted(claimed)


@periodic.job("mail_digest", every=lambda settings: settings.mail_digest_seconds)
def digest_job(session: Session) -> None:
    run(session)
