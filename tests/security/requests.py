"""One valid request per operation, with ids from the world: path parameters and a body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.challenges.helpers import challenge_body
from tests.chat_bridges.conftest import TARGETS
from tests.events.helpers import event_body
from tests.factories import PASSWORD
from tests.projects.helpers import project_body
from tests.security.world import World


@dataclass(frozen=True)
class Req:
    """Path parameters (names of world ids), a JSON body, or a form body."""

    params: dict[str, str] = field(default_factory=dict)
    body: Callable[[World], Any] | None = None
    form: Callable[[World], Any] | None = None
    query: Callable[[World], Any] | None = None
    files: Callable[[World], Any] | None = None


def R(  # noqa: N802 - a table row
    body: Any = None, form: Any = None, query: Any = None, files: Any = None, **params: str
) -> Req:
    def const(value: Any) -> Callable[[World], Any] | None:
        if value is None or callable(value):
            maker: Callable[[World], Any] | None = value
            return maker
        return lambda _w: value

    return Req(
        params=params,
        body=const(body),
        form=const(form),
        query=const(query),
        files=const(files),
    )


# A well-formed mailed token that was never issued.
MADE_UP = "Xq3vJ0b9mT2kR7sWcZ1pL5fA8dHhN4eYuGiBtQoV6xE"


def _email(w: World) -> str:
    return w.members["member"].email


REQUESTS: dict[str, Req] = {
    "auth_register": R(
        body=lambda w: {
            "email": f"new{w['member']}@example.org",
            "password": PASSWORD,
            "handle": f"newcomer{w['member']}",
            "display_name": "New",
        }
    ),
    "auth_token": R(form=lambda w: {"username": _email(w), "password": PASSWORD}),
    "auth_refresh": R(body={"refresh_token": "not-a-token"}),
    "auth_logout": R(body={"refresh_token": "not-a-token"}),
    "members_list": R(),
    "members_get_me": R(),
    "members_update_me": R(body={"bio": "Printmaker."}),
    "members_first_steps": R(),
    "members_list_tokens": R(),
    "members_create_token": R(body={"name": "cli", "scopes": ["read"]}),
    "members_get_token": R(token_id="token"),
    "members_delete_token": R(token_id="token"),
    "members_get": R(member_id="member"),
    "members_update": R(body={"role": "member", "is_active": True}, member_id="member"),
    "invitations_create": R(),
    "invitations_list": R(),
    "invitations_get": R(invitation_id="invitation"),
    "notifications_list": R(),
    "notifications_unread_count": R(),
    "notifications_mark_read": R(body={"all": True}),
    "events_create": R(body=lambda _w: event_body()),
    "events_list": R(),
    "events_calendar": R(),
    "events_event_calendar": R(event_id="event"),
    "events_get": R(event_id="event"),
    "events_update": R(body={"title": "Renamed"}, event_id="event"),
    "events_delete": R(event_id="event"),
    "events_get_rsvp": R(event_id="event"),
    "events_rsvp": R(body={"status": "going"}, event_id="event"),
    "events_cancel_rsvp": R(event_id="event"),
    "events_list_rsvps": R(event_id="event"),
    "events_check_in": R(body=lambda w: {"member_id": w["other"]}, event_id="event"),
    "events_list_check_ins": R(event_id="event"),
    "events_get_check_in": R(event_id="event", member_id="member"),
    "events_member_calendar": R(query=lambda w: {"token": w.calendar_token}),
    "events_create_calendar_token": R(),
    "events_revoke_calendar_token": R(),
    "challenges_create": R(body=lambda _w: challenge_body()),
    "challenges_list": R(),
    "challenges_get": R(challenge_id="challenge"),
    "challenges_update": R(body={"title": "Renamed"}, challenge_id="challenge"),
    "challenges_delete": R(challenge_id="challenge"),
    "challenges_results": R(challenge_id="challenge"),
    "challenges_create_submission": R(body={"title": "Another"}, challenge_id="challenge"),
    "challenges_list_submissions": R(challenge_id="challenge"),
    "submissions_get": R(submission_id="work"),
    "submissions_update": R(body={"title": "Renamed"}, submission_id="work"),
    "submissions_delete": R(submission_id="work"),
    "submissions_moderate": R(body={"action": "feature"}, submission_id="work"),
    "submissions_vote": R(submission_id="voting_work"),
    "submissions_unvote": R(submission_id="voting_work"),
    "challenges_my_votes": R(challenge_id="voting_challenge"),
    "challenges_list_votes": R(challenge_id="voting_challenge"),
    "showcase_list": R(),
    "members_create_inquiry": R(
        body={"name": "Bo", "email": "bo@example.org", "message": "Hello"}, member_id="member"
    ),
    "members_list_inquiries": R(),
    "members_get_inquiry": R(inquiry_id="inquiry"),
    "projects_create": R(body=lambda _w: project_body()),
    "projects_list": R(),
    "projects_get": R(project_id="project"),
    "projects_update": R(body={"title": "Renamed"}, project_id="project"),
    "projects_delete": R(project_id="project"),
    "projects_list_members": R(project_id="project"),
    "projects_add_member": R(
        body=lambda w: {"member_id": w["organizer"], "role": "contributor"}, project_id="project"
    ),
    "projects_get_member": R(project_id="project", member_id="other"),
    "projects_update_member": R(
        body={"role": "contributor"}, project_id="project", member_id="other"
    ),
    "projects_remove_member": R(project_id="project", member_id="other"),
    "projects_list_tasks": R(project_id="project"),
    "projects_create_task": R(body={"title": "Layout"}, project_id="project"),
    "projects_get_task": R(project_id="project", task_id="task"),
    "projects_update_task": R(body={"title": "Proofread"}, project_id="project", task_id="task"),
    "projects_delete_task": R(project_id="project", task_id="task"),
    "projects_list_updates": R(project_id="project"),
    "projects_post_update": R(body={"body": "Week 2"}, project_id="project"),
    "projects_get_update": R(project_id="project", update_id="update"),
    "mentors_list": R(),
    "mentors_suggestions": R(),
    "mentorships_create": R(body=lambda w: {"mentor_id": w["mentor"], "goal": "Learn riso"}),
    "mentorships_list": R(),
    "mentorships_get": R(mentorship_id="mentorship"),
    "mentorships_update": R(body={"status": "accepted"}, mentorship_id="mentorship"),
    "threads_list": R(),
    "threads_create": R(body={"title": "Paper", "body": "Which paper?"}),
    "threads_get": R(thread_id="thread"),
    "threads_update": R(body={"title": "Paper stock"}, thread_id="thread"),
    "threads_delete": R(thread_id="thread"),
    "threads_list_posts": R(thread_id="thread"),
    "threads_create_post": R(body={"body": "Me too."}, thread_id="thread"),
    "posts_get": R(post_id="post"),
    "posts_update": R(body={"body": "Edited."}, post_id="post"),
    "posts_delete": R(post_id="post"),
    "submissions_list_comments": R(submission_id="other_work"),
    "submissions_create_comment": R(body={"body": "Nice."}, submission_id="other_work"),
    "comments_get": R(comment_id="comment"),
    "comments_update": R(body={"body": "Edited."}, comment_id="comment"),
    "comments_delete": R(comment_id="comment"),
    "ideas_list": R(),
    "ideas_create": R(body={"title": "Zine fair", "body": "In May."}),
    "ideas_get": R(idea_id="idea"),
    "ideas_update": R(body={"title": "Zine fair in May"}, idea_id="idea"),
    "ideas_upvote": R(idea_id="idea"),
    "ideas_remove_upvote": R(idea_id="idea"),
    "announcements_list": R(),
    "announcements_create": R(body={"title": "News", "body": "Hello."}),
    "announcements_get": R(announcement_id="announcement"),
    "announcements_update": R(body={"title": "News!"}, announcement_id="announcement"),
    "announcements_delete": R(announcement_id="announcement"),
    "reports_create": R(
        body=lambda w: {"target_type": "submission", "target_id": w["work"], "reason": "Spam."}
    ),
    "reports_list": R(),
    "reports_get": R(report_id="report"),
    "reports_update": R(body={"status": "dismissed"}, report_id="report"),
    "webhooks_create": R(body={"url": "https://bots.example.org/x", "events": ["idea.created"]}),
    "webhooks_list": R(),
    "webhooks_get": R(webhook_id="webhook"),
    "webhooks_update": R(body={"active": True}, webhook_id="webhook"),
    "webhooks_delete": R(webhook_id="webhook"),
    "webhooks_ping": R(webhook_id="webhook"),
    "webhooks_list_deliveries": R(webhook_id="webhook"),
    "webhooks_get_delivery": R(webhook_id="webhook", delivery_id="delivery"),
    "webhooks_redeliver": R(webhook_id="webhook", delivery_id="delivery"),
    "leaderboard_list": R(),
    "badges_list": R(),
    "members_list_badges": R(member_id="member"),
    "members_get_badge": R(member_id="member", badge_id="badge"),
    "members_grant_award": R(body={"title": "Helper"}, member_id="member"),
    "analytics_engagement": R(query={"from": "2026-01-01", "to": "2026-12-31"}),
    "analytics_silent_members": R(),
    "analytics_fading_members": R(),
    "anthologies_create": R(body={"title": "Kota"}),
    "anthologies_list": R(),
    "anthologies_epub": R(anthology_id="anthology"),
    "anthologies_get": R(anthology_id="anthology"),
    "anthologies_update": R(body={"title": "Kota baru"}, anthology_id="anthology"),
    "anthologies_delete": R(anthology_id="anthology"),
    "submissions_card": R(submission_id="work"),
    "ops_healthz": R(),
    "ops_readyz": R(),
    "ops_metrics": R(),
    "problems_list": R(),
    "problems_get": R(code="member"),
    "audit_list": R(),
    "accounts_request_password_reset": R(body=lambda w: {"email": _email(w)}),
    "accounts_confirm_password_reset": R(body={"token": MADE_UP, "new_password": "a new one!"}),
    "accounts_verify_email": R(body={"token": MADE_UP}),
    "accounts_change_password": R(
        body={"current_password": PASSWORD, "new_password": "tr0ub4dor & 3"}
    ),
    "accounts_list_sessions": R(),
    "accounts_end_other_sessions": R(),
    "accounts_end_session": R(session_id="login"),
    "accounts_send_verification": R(),
    "accounts_admin_password_reset": R(member_id="member"),
    "accounts_leave": R(body={"password": PASSWORD, "delete_works": False}),
    "accounts_export": R(),
    "members_get_notification_settings": R(),
    "members_update_notification_settings": R(body={"digest": "off"}),
    "mail_unsubscribe": R(query=lambda w: {"token": w.unsubscribe_token}),
    "mail_unsubscribe_page": R(query=lambda w: {"token": w.unsubscribe_token}),
    "notifications_stream_ticket": R(),
    "notifications_stream": R(),
    "search_query": R(query={"q": "zine"}),
    "media_upload": R(files=lambda w: {"file": ("again.jpg", w.picture, "image/jpeg")}),
    "media_list_mine": R(),
    "media_get": R(media_id="media"),
    "media_content": R(media_id="media"),
    "media_delete": R(media_id="media"),
    "submissions_score": R(
        body={"scores": {"concept": 6, "craft": 9}}, submission_id="judged_work"
    ),
    "submissions_list_scores": R(submission_id="scored_work"),
    "challenges_judging": R(challenge_id="judged"),
    "chat_bridges_create": R(
        body={
            "kind": "slack",
            "name": "Team",
            "target": TARGETS["slack"],
            "events": ["idea.created"],
        }
    ),
    "chat_bridges_list": R(),
    "chat_bridges_get": R(bridge_id="bridge"),
    "chat_bridges_update": R(body={"name": "Crew 2"}, bridge_id="bridge"),
    "chat_bridges_delete": R(bridge_id="bridge"),
    "chat_bridges_test": R(bridge_id="bridge"),
    "chat_bridges_list_deliveries": R(bridge_id="bridge"),
}
