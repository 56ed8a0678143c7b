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
