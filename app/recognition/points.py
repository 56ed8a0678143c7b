"""What each contribution is worth. The points tables in docs/FEATURES.md and docs/API.md
mirror this one."""

from __future__ import annotations

from app.models import ContributionKind

POINTS: dict[ContributionKind, int] = {
    ContributionKind.SUBMISSION: 10,
    ContributionKind.CHALLENGE_WIN: 50,
    ContributionKind.VOTE: 1,
    ContributionKind.COMMENT: 2,
    ContributionKind.POST: 2,
    ContributionKind.THREAD: 2,  # opening a thread is its first post
    ContributionKind.IDEA: 3,
    ContributionKind.EVENT_ATTENDED: 5,
    ContributionKind.TASK_DONE: 3,
    ContributionKind.PROJECT_UPDATE: 2,
    ContributionKind.MENTORSHIP_COMPLETED: 15,
}
