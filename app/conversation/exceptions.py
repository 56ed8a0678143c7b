from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class ThreadNotFound(NotFound):
    code = "thread_not_found"


class PostNotFound(NotFound):
    code = "post_not_found"


class CommentNotFound(NotFound):
    code = "comment_not_found"


class IdeaNotFound(NotFound):
    code = "idea_not_found"


class AnnouncementNotFound(NotFound):
    code = "announcement_not_found"


class ReportNotFound(NotFound):
    code = "report_not_found"


class ReportTargetNotFound(NotFound):
    code = "report_target_not_found"


class NotAuthor(Forbidden):
    code = "not_author"


class OrganizerOnlyFields(Forbidden):
    """A member sent a field only organizers set (`pinned`, `locked`, an idea's `status`)."""

    code = "organizer_only_fields"


class ThreadLocked(Conflict):
    code = "thread_locked"


class AlreadyDeleted(Conflict):
    code = "already_deleted"


class IdeaNoLongerNew(Conflict):
    code = "idea_no_longer_new"


class AlreadyReported(Conflict):
    code = "already_reported"
