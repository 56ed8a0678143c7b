"""Which notification kinds can be mailed, and which are mailed unless the member says no.

In the app every notification is shown; by mail only these kinds, each switched on or off
by the member (`mail_settings.email`). The defaults follow the product contract: someone
commented on my work, asked me for mentoring or answered my request, promoted me off a
waitlist, or cancelled an event I am going to.
"""

from __future__ import annotations

EMAIL_DEFAULTS: dict[str, bool] = {
    "comment.created": True,
    "mentorship.requested": True,
    "mentorship.accepted": True,
    "mentorship.declined": True,
    "event.waitlist_promoted": True,
    "event.cancelled": True,
    "mentorship.completed": False,
    "project.join_requested": False,
    "project.join_approved": False,
    "project.join_declined": False,
    "project.member_added": False,
    "project.member_removed": False,
    "post.created": False,
    "idea.status_changed": False,
    "badge.awarded": False,
    "inquiry.received": False,
    "report.opened": False,
}

# The List-Unsubscribe kind of the weekly digest (turns `digest` off).
DIGEST = "digest"

# The kinds whose mails gather: while a member's mail of such a kind waits to be sent, the
# next notification of that kind about the same thing (the notification's `data` key named
# here: the same work) is added to it instead of making a mail of its own
# (app/mail/along), up to `outbox.GATHER_LIMIT` in one mail.
GATHERED: dict[str, str] = {"comment.created": "submission_id"}
