"""The members' app's pages that the API sends people to: one table, the only place where
their paths are written.

Mail links (and any other message that leads into the app) are
`{SANGGAR_APP_URL}{path}`, with the path from `APP_ROUTES`. A page that shows one of the
API's resources has that resource's API path without `/api/v1` (`/challenges/12` shows
`GET /api/v1/challenges/12`), as the chat bridges' links do; the pages a mailed token opens
take it as the `token` query parameter. Frontend developers implement exactly these routes:
the table is published in docs/frontend-quickstart.md ("Pages the API links to"), and a
test holds the two equal.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote


class AppRoute(StrEnum):
    HOME = "home"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a page's name, not a secret
    VERIFY_EMAIL = "verify_email"
    FIRST_STEPS = "first_steps"
    NOTIFICATIONS = "notifications"
    CHALLENGE = "challenge"
    EVENT = "event"
    SUBMISSION = "submission"
    THREAD = "thread"
    ANNOUNCEMENT = "announcement"
    PROJECT = "project"
    IDEA = "idea"
    MEMBER = "member"


# route → (path template, what the page does). `{name}` is filled in, percent-encoded.
APP_ROUTES: dict[AppRoute, tuple[str, str]] = {
    AppRoute.HOME: ("/", "the app's start page"),
    AppRoute.RESET_PASSWORD: (
        "/reset-password?token={token}",
        "asks for a new password, then `POST /api/v1/auth/password-reset/confirm` "
        "`{token, new_password}`",
    ),
    AppRoute.VERIFY_EMAIL: (
        "/verify-email?token={token}",
        "`POST /api/v1/auth/verify-email` `{token}` (a new account's address, or the new "
        "address of an email change), then says whether it worked",
    ),
    AppRoute.FIRST_STEPS: (
        "/first-steps",
        "the newcomer's checklist, `GET /api/v1/members/me/first-steps`",
    ),
    AppRoute.NOTIFICATIONS: (
        "/notifications",
        "the member's notifications, `GET /api/v1/notifications`",
    ),
    AppRoute.CHALLENGE: ("/challenges/{challenge_id}", "a challenge"),
    AppRoute.EVENT: ("/events/{event_id}", "an event"),
    AppRoute.SUBMISSION: ("/submissions/{submission_id}", "a work"),
    AppRoute.THREAD: ("/threads/{thread_id}", "a discussion thread"),
    AppRoute.ANNOUNCEMENT: ("/announcements/{announcement_id}", "an announcement"),
    AppRoute.PROJECT: ("/projects/{project_id}", "a project"),
    AppRoute.IDEA: ("/ideas/{idea_id}", "an idea"),
    AppRoute.MEMBER: ("/members/{member_id}", "a member's public profile"),
}


def app_path(route: AppRoute | str, **params: object) -> str:
    """The path of one of the app's pages, its parameters percent-encoded (a KeyError names
    a parameter the route needs and was not given)."""
    template, _ = APP_ROUTES[AppRoute(route)]
    return template.format(**{name: quote(str(value), safe="") for name, value in params.items()})
