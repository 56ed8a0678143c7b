"""Results of a closed challenge, read from the maintained tallies, a page at a time: the
read model of `GET /challenges/{id}/results`.

Works are ordered by votes (most first), ties by earlier submission (lower id). Ranks are
standard competition ranking: a work's rank is 1 + the number of eligible works with more
votes. One COUNT on the (challenge, votes) index gives the rank of the page's first work;
the rest follow from the page itself. So a page costs the same at 1k or 1M votes.

A judged challenge (jury or combined mode) ranks the same way by its final score, which
the ranking wrote at closing from the maintained sums (app.challenges.ranking); each item
adds the score's parts, read for the page alone: the top vote count (one indexed read) and
the page's per-criterion sums (one query). Nothing aggregates votes or scores here.

Statements built once, in Core, on a connection (app.readmodels): the challenge, the page
of works with their authors, the files of those that have some, the rank count. A judged
challenge the closing sweep has not ranked yet must be ranked first, a write: the read
says so (`Unranked`) and the caller ranks it in a worker thread, then reads again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.challenges import judging, ranking
from app.challenges import service as challenges
from app.challenges.schemas import JudgingMode
from app.core.clock import utcnow
from app.core.pagination import PageParams, asc, desc, paginate_rows
from app.judging import service as scores
from app.models import Challenge, Member, Submission
from app.readmodels import ReadStatement
from app.results.schemas import CriterionResult, ResultItem
from app.submissions.attachments import HAS_FILES, files_of
from app.submissions.reads import WORKS, author_of, shown

Row = sa.Row[*tuple[Any, ...]]

_CHALLENGES = cast(sa.Table, Challenge.__table__)  # type: ignore[attr-defined]
_MEMBERS = cast(sa.Table, Member.__table__)  # type: ignore[attr-defined]

_CHALLENGE = ReadStatement(
    sa.select(
        *(
            _CHALLENGES.c[name]
            for name in (
                "id",
                "published",
                "submissions_open_at",
                "submissions_close_at",
                "voting_close_at",
                "judging",
                "winners_count",
                "ranked_at",
            )
        )
    ).where(_CHALLENGES.c.id == sa.bindparam("challenge_id"))
)
# The works that rank (none disqualified), with what their authors show.
_ELIGIBLE = (
    sa.select(
        *WORKS.c,
        HAS_FILES,
        _MEMBERS.c.handle,
        _MEMBERS.c.display_name,
        _MEMBERS.c.avatar_url,
        _MEMBERS.c.open_for_commissions,
    )
    .select_from(WORKS.join(_MEMBERS, _MEMBERS.c.id == WORKS.c.member_id))
    .where(WORKS.c.challenge_id == sa.bindparam("challenge_id"), WORKS.c.disqualified.is_(False))
)
# By votes, or by the judged final score; ties by earlier submission.
_KEYS = {
    False: [desc(Submission.vote_count), asc(Submission.id)],
    True: [desc(Submission.ranking_score), asc(Submission.id)],
}
_TOP_VOTES = ReadStatement(
    sa.select(sa.func.max(WORKS.c.vote_count)).where(
        WORKS.c.challenge_id == sa.bindparam("challenge_id"), WORKS.c.disqualified.is_(False)
    )
)


@dataclass(frozen=True)
class Unranked:
    """A judged challenge the sweep has not ranked yet: rank it, then read again."""


def results(
    connection: Connection, *, challenge_id: int, viewer: Member | None, params: PageParams
) -> tuple[list[ResultItem], str | None] | Unranked:
    """A page of a closed challenge's ranking (409 before it closes, 404 for a draft the
    viewer may not see): ties share a rank, disqualified works left out."""
    found = _CHALLENGE.first(connection, {"challenge_id": challenge_id})
    challenge = challenges.check_visible(found, challenge_id, viewer)
    challenges.require_closed(challenge, utcnow())
    setup = judging.setup_of(challenge)
    if setup.judged and challenge.ranked_at is None:
        return Unranked()
    statement = _ELIGIBLE.params(challenge_id=challenge_id)
    rows, next_cursor = paginate_rows(
        connection, statement, keys=_KEYS[setup.judged], params=params
    )
    files = files_of(connection, [row.id for row in rows if row.has_files])
    parts = _parts(connection, challenge, setup, rows) if setup.judged else None
    items = [
        ResultItem(
            rank=rank,
            votes=row.vote_count,
            winner=rank <= challenge.winners_count,
            submission=shown(
                row, author_of(row), media=files[row.id], closed=True, blind=False, viewer=viewer
            ),
            **(parts[row.id] if parts is not None else _VOTES_ONLY),
        )
        for rank, row in zip(ranking.ranks(connection, challenge, rows), rows, strict=True)
    ]
    return items, next_cursor


def rank(engine: Engine, *, challenge_id: int, viewer: Member | None) -> None:
    """Ranks a closed judged challenge the sweep has not ranked yet, in a transaction of
    its own, under the lock the sweep takes (whoever comes second finds it ranked)."""
    with Session(engine) as writer:
        challenge = challenges.get_visible(writer, challenge_id=challenge_id, viewer=viewer)
        challenges.ensure_ranked(writer, challenge, viewer=viewer)
        writer.commit()


class JuryParts(TypedDict):
    score: float | None
    jury_score: float | None
    vote_share: float | None
    breakdown: list[CriterionResult] | None
    audience_award: bool


_VOTES_ONLY: JuryParts = {
    "score": None,
    "jury_score": None,
    "vote_share": None,
    "breakdown": None,
    "audience_award": False,
}


def _parts(
    connection: Connection, challenge: Row, setup: judging.Setup, page: Sequence[Row]
) -> dict[int, JuryParts]:
    top = _TOP_VOTES.scalar(connection, {"challenge_id": challenge.id}) or 0
    sums = scores.breakdowns(connection, page)
    combined = setup.mode == JudgingMode.COMBINED
    found: dict[int, JuryParts] = {}
    for work in page:
        count = work.juror_count
        found[work.id] = {
            "score": work.ranking_score / judging.SCALE,
            "jury_score": judging.shown(
                judging.jury_score(setup, jury_total=work.jury_total, juror_count=count)
            ),
            "vote_share": judging.shown(judging.vote_share(work.vote_count, top)),
            "breakdown": [
                CriterionResult(
                    key=criterion.key,
                    title=criterion.title,
                    weight=criterion.weight,
                    score=judging.shown(Fraction(sums[work.id].get(criterion.key, 0), count))
                    if count
                    else None,
                )
                for criterion in setup.criteria
            ],
            "audience_award": combined and top > 0 and work.vote_count == top,
        }
    return found
