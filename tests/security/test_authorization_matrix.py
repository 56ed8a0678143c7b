"""The authorization matrix: every operation × every kind of caller → the expected status.

Generated from the app's routes: an operation without a row in `POLICY` fails the test, so
a new route cannot ship without deciding who may call it. Each cell runs against real objects
(tests/security/world.py); a cell that is allowed and changes something gets a fresh world so
that cells never depend on each other.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.exceptions import InvalidToken
from app.models import CalendarFeedToken, Member, PersonalAccessToken, RefreshToken, Webhook
from app.webhooks import safety
from tests.security.requests import REQUESTS
from tests.security.world import ROLES, World, build_world

OK = "ok"  # any 2xx
BAD_TOKEN = InvalidToken.status

# anonymous, member (the owner of owner-bound objects), other member, organizer, admin
POLICY: dict[str, tuple[int | str, ...]] = {
    "auth_register": (OK, 409, 409, 409, 409),
    "auth_token": (OK, OK, OK, OK, OK),
    "auth_refresh": (401, 401, 401, 401, 401),
    "auth_logout": (OK, OK, OK, OK, OK),
    "members_list": (401, OK, OK, OK, OK),
    "members_get_me": (401, OK, OK, OK, OK),
    "members_update_me": (401, OK, OK, OK, OK),
    "members_first_steps": (401, OK, OK, OK, OK),
    "members_list_tokens": (401, OK, OK, OK, OK),
    "members_create_token": (401, OK, OK, OK, OK),
    "members_get_token": (401, OK, 404, 404, 404),
    "members_delete_token": (401, OK, 404, 404, 404),
    "members_get": (OK, OK, OK, OK, OK),
    "members_update": (401, 403, 403, 403, OK),
    "invitations_create": (401, 403, 403, OK, OK),
    "invitations_list": (401, 403, 403, OK, OK),
    "invitations_get": (401, 403, 403, OK, OK),
    "notifications_list": (401, OK, OK, OK, OK),
    "notifications_unread_count": (401, OK, OK, OK, OK),
    "notifications_mark_read": (401, OK, OK, OK, OK),
    "events_create": (401, 403, 403, OK, OK),
    "events_list": (OK, OK, OK, OK, OK),
    "events_calendar": (OK, OK, OK, OK, OK),
    "events_event_calendar": (OK, OK, OK, OK, OK),
    "events_get": (OK, OK, OK, OK, OK),
    "events_update": (401, 403, 403, OK, OK),
    "events_delete": (401, 403, 403, OK, OK),
    "events_get_rsvp": (401, OK, 404, 404, 404),
    "events_rsvp": (401, OK, OK, OK, OK),
    "events_cancel_rsvp": (401, OK, OK, OK, OK),
    "events_list_rsvps": (401, OK, OK, OK, OK),
    "events_check_in": (401, 403, 403, OK, OK),
    "events_list_check_ins": (401, 403, 403, OK, OK),
    "events_get_check_in": (401, 403, 403, OK, OK),
    "events_member_calendar": (OK, OK, OK, OK, OK),
    "events_create_calendar_token": (401, OK, OK, OK, OK),
    "events_revoke_calendar_token": (401, OK, OK, OK, OK),
    "challenges_create": (401, 403, 403, OK, OK),
    "challenges_list": (OK, OK, OK, OK, OK),
    "challenges_get": (OK, OK, OK, OK, OK),
    "challenges_update": (401, 403, 403, OK, OK),
    "challenges_delete": (401, 403, 403, OK, OK),
    "challenges_results": (409, 409, 409, 409, 409),
    "challenges_create_submission": (401, 409, 409, OK, OK),
    "challenges_list_submissions": (401, OK, OK, OK, OK),
    "submissions_get": (401, OK, OK, OK, OK),
    "submissions_update": (401, OK, 403, 403, 403),
    "submissions_delete": (401, OK, 403, 403, 403),
    "submissions_moderate": (401, 403, 403, OK, OK),
    "submissions_vote": (401, OK, 403, OK, OK),
    "submissions_unvote": (401, OK, 404, 404, 404),  # one's own vote only
    "challenges_my_votes": (401, OK, OK, OK, OK),
    "challenges_list_votes": (401, 403, 403, OK, OK),
    "showcase_list": (OK, OK, OK, OK, OK),
    "members_create_inquiry": (OK, OK, OK, OK, OK),
    "members_list_inquiries": (401, OK, OK, OK, OK),
    "members_get_inquiry": (401, OK, 404, 404, 404),
    "projects_create": (401, OK, OK, OK, OK),
    "projects_list": (401, OK, OK, OK, OK),
    "projects_get": (401, OK, OK, OK, OK),
    "projects_update": (401, OK, 403, OK, OK),
    "projects_delete": (401, OK, 403, OK, OK),
    "projects_list_members": (401, OK, OK, OK, OK),
    "projects_add_member": (401, OK, 403, 409, 409),
    "projects_get_member": (401, OK, OK, OK, OK),
    "projects_update_member": (401, OK, 403, OK, OK),
    "projects_remove_member": (401, OK, OK, OK, OK),
    "projects_list_tasks": (401, OK, OK, OK, OK),
    "projects_create_task": (401, OK, OK, OK, 403),
    "projects_get_task": (401, OK, OK, OK, OK),
    "projects_update_task": (401, OK, OK, OK, 403),
    "projects_delete_task": (401, OK, 403, 403, 403),
    "projects_list_updates": (401, OK, OK, OK, OK),
    "projects_post_update": (401, OK, OK, OK, 403),
    "projects_get_update": (401, OK, OK, OK, OK),
    "mentors_list": (401, OK, OK, OK, OK),
    "mentors_suggestions": (401, OK, OK, OK, OK),
    "mentorships_create": (401, 409, OK, OK, OK),
    "mentorships_list": (401, OK, OK, OK, OK),
    "mentorships_get": (401, OK, 404, 404, 404),
    "mentorships_update": (401, 403, 404, 404, 404),
    "threads_list": (401, OK, OK, OK, OK),
    "threads_create": (401, OK, OK, OK, OK),
    "threads_get": (401, OK, OK, OK, OK),
    "threads_update": (401, OK, 403, 403, 403),
    "threads_delete": (401, OK, 403, OK, OK),
    "threads_list_posts": (401, OK, OK, OK, OK),
    "threads_create_post": (401, OK, OK, OK, OK),
    "posts_get": (401, OK, OK, OK, OK),
    "posts_update": (401, OK, 403, 403, 403),
    "posts_delete": (401, OK, 403, OK, OK),
    "submissions_list_comments": (401, OK, OK, OK, OK),
    "submissions_create_comment": (401, OK, OK, OK, OK),
    "comments_get": (401, OK, OK, OK, OK),
    "comments_update": (401, OK, 403, 403, 403),
    "comments_delete": (401, OK, 403, OK, OK),
    "ideas_list": (401, OK, OK, OK, OK),
    "ideas_create": (401, OK, OK, OK, OK),
    "ideas_get": (401, OK, OK, OK, OK),
    "ideas_update": (401, OK, 403, 403, 403),
    "ideas_upvote": (401, OK, OK, OK, OK),
    "ideas_remove_upvote": (401, OK, OK, OK, OK),
    "announcements_list": (401, OK, OK, OK, OK),
    "announcements_create": (401, 403, 403, OK, OK),
    "announcements_get": (401, OK, OK, OK, OK),
    "announcements_update": (401, 403, 403, OK, OK),
    "announcements_delete": (401, 403, 403, OK, OK),
    "reports_create": (401, OK, OK, OK, OK),
    "reports_list": (401, 403, 403, OK, OK),
    "reports_get": (401, OK, 404, OK, OK),
    "reports_update": (401, 403, 403, OK, OK),
    "webhooks_create": (401, 403, 403, 403, OK),
    "webhooks_list": (401, 403, 403, 403, OK),
    "webhooks_get": (401, 403, 403, 403, OK),
    "webhooks_update": (401, 403, 403, 403, OK),
    "webhooks_delete": (401, 403, 403, 403, OK),
    "webhooks_ping": (401, 403, 403, 403, OK),
    "webhooks_list_deliveries": (401, 403, 403, 403, OK),
    "webhooks_get_delivery": (401, 403, 403, 403, OK),
    "webhooks_redeliver": (401, 403, 403, 403, OK),
    "leaderboard_list": (401, OK, OK, OK, OK),
    "badges_list": (401, OK, OK, OK, OK),
    "members_list_badges": (OK, OK, OK, OK, OK),
    "members_get_badge": (OK, OK, OK, OK, OK),
    "members_grant_award": (401, 403, 403, OK, OK),
    "analytics_engagement": (401, 403, 403, OK, OK),
    "analytics_silent_members": (401, 403, 403, OK, OK),
    "analytics_fading_members": (401, 403, 403, OK, OK),
    "anthologies_create": (401, 403, 403, OK, OK),
    "anthologies_list": (OK, OK, OK, OK, OK),
    "anthologies_epub": (404, 404, 404, OK, OK),
    "anthologies_get": (404, 404, 404, OK, OK),
    "anthologies_update": (401, 403, 403, OK, OK),
    "anthologies_delete": (401, 403, 403, OK, OK),
    "submissions_card": (404, 404, 404, 404, 404),
    "ops_healthz": (OK, OK, OK, OK, OK),
    "ops_readyz": (OK, OK, OK, OK, OK),
    "ops_metrics": (OK, OK, OK, OK, OK),
    "problems_list": (OK, OK, OK, OK, OK),
    # The world has ids, not codes: a number is no code, to anyone.
    "problems_get": (404, 404, 404, 404, 404),
    "audit_list": (401, 403, 403, 403, OK),
    # Anyone: the answer is the same whether or not the address has an account.
    "accounts_request_password_reset": (OK, OK, OK, OK, OK),
    # Mailed tokens: the world's is made up, so nobody gets past the check (whatever status
    # the invalid-token problem carries).
    "accounts_confirm_password_reset": (BAD_TOKEN,) * 5,
    "accounts_verify_email": (BAD_TOKEN,) * 5,
    "accounts_change_password": (401, OK, OK, OK, OK),
    "accounts_list_sessions": (401, OK, OK, OK, OK),
    "accounts_end_other_sessions": (401, OK, OK, OK, OK),
    "accounts_end_session": (401, OK, 404, 404, 404),  # one's own log-ins only
    "accounts_send_verification": (401, OK, OK, OK, OK),
    "accounts_admin_password_reset": (401, 403, 403, 403, OK),
    "accounts_leave": (401, OK, OK, OK, OK),
    "accounts_export": (401, OK, OK, OK, OK),
    "members_get_notification_settings": (401, OK, OK, OK, OK),
    "members_update_notification_settings": (401, OK, OK, OK, OK),
    # The signed token names the member: no log-in, whoever holds the link.
    "mail_unsubscribe": (OK, OK, OK, OK, OK),
    "mail_unsubscribe_page": (OK, OK, OK, OK, OK),
    "notifications_stream_ticket": (401, OK, OK, OK, OK),
    "search_query": (OK, OK, OK, OK, OK),
    "media_upload": (401, OK, OK, OK, OK),
    "media_list_mine": (401, OK, OK, OK, OK),
    # Anyone may see a file attached to something they may see; `member`'s picture is
    # attached to nothing, so nobody but its owner may know it exists.
    "media_get": (404, OK, 404, 404, 404),
    "media_content": (404, OK, 404, 404, 404),
    "media_delete": (401, OK, 404, 404, 404),
    # `member` is the judged challenge's juror; `other` wrote the work.
    "submissions_score": (401, OK, 403, 403, 403),
    # `member` wrote the scored work (its challenge closed); organizers see every score.
    "submissions_list_scores": (401, OK, 403, OK, OK),
    "challenges_judging": (401, 403, 403, OK, OK),
    "chat_bridges_create": (401, 403, 403, 403, OK),
    "chat_bridges_list": (401, 403, 403, 403, OK),
    "chat_bridges_get": (401, 403, 403, 403, OK),
    "chat_bridges_update": (401, 403, 403, 403, OK),
    "chat_bridges_delete": (401, 403, 403, 403, OK),
    "chat_bridges_test": (401, 403, 403, 403, OK),
    "chat_bridges_list_deliveries": (401, 403, 403, 403, OK),
}
# Operations whose cells the matrix cannot run, with the reason; their rule is tested where
# the reason points.
EXEMPT: dict[str, str] = {
    "notifications_stream": "a server-sent event stream never ends for an allowed caller; "
    "who may open it (a bearer or a single-use ticket) is tested in tests/notifications",
}
# Not deletions, yet they end or change the caller's account: a fresh world after each success.
CONSUMING = {"accounts_leave", "accounts_change_password"}


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "resolve", lambda _h, _p: [ipaddress.ip_address("93.184.216.34")])


def operations(app: FastAPI) -> list[tuple[str, str, str]]:
    spec = app.openapi()
    return [
        (operation["operationId"], method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def call(client: TestClient, w: World, role: str, op: str, method: str, path: str) -> Any:
    request = REQUESTS[op]
    url = path.format(**{name: w[key] for name, key in request.params.items()})
    kwargs: dict[str, Any] = {"headers": w.headers[role]}
    if request.body is not None:
        kwargs["json"] = request.body(w)
    if request.form is not None:
        kwargs["data"] = request.form(w)
    if request.query is not None:
        kwargs["params"] = request.query(w)
    if request.files is not None:
        kwargs["files"] = request.files(w)
    return client.request(method, url, **kwargs)


@dataclass
class Outcome:
    statuses: dict[str, tuple[int, ...]]
    bodies: list[tuple[str, str, str | None, str]]  # (operation, role, caller's email, text)


def run_matrix(client: TestClient, app: FastAPI) -> Outcome:
    """Every cell's status. Deletions get a fresh world after each one that succeeded; every
    other cell shares one world (refused calls change nothing; allowed ones are repeatable)."""
    shared = build_world(client, app)
    outcome = Outcome(statuses={}, bodies=[])
    for op, method, path in operations(app):
        if op in EXEMPT:
            continue
        consuming = method == "DELETE" or op in CONSUMING
        world: World | None = None if consuming else shared
        row = []
        for role in ROLES:
            if world is None:
                world = build_world(client, app)
            response = call(client, world, role, op, method, path)
            row.append(response.status_code)
            if "text" in response.headers.get("content-type", "") or "json" in (
                response.headers.get("content-type", "")
            ):
                caller = world.members[role].email if role in world.members else None
                outcome.bodies.append((op, role, caller, response.text))
            if consuming and response.status_code < 300:
                world = None
        outcome.statuses[op] = tuple(row)
    return outcome


def _matches(expected: int | str, status: int) -> bool:
    return 200 <= status < 300 if expected == OK else status == expected


def _secrets(app: FastAPI) -> list[str]:
    """What no response may ever carry: stored hashes and webhook secrets."""
    with Session(app.state.engine) as session:
        values = [m.password_hash for m in session.exec(select(Member))]
        for model in (RefreshToken, PersonalAccessToken, CalendarFeedToken):
            values += [row.token_hash for row in session.exec(select(model))]  # type: ignore[attr-defined]
        values += [hook.secret for hook in session.exec(select(Webhook))]
    return values


def test_every_operation_has_a_policy_and_every_cell_holds(
    client: TestClient, app: FastAPI, public_dns: None, record_property: Any
) -> None:
    ops = {op for op, _, _ in operations(app)}
    assert not sorted(ops - POLICY.keys() - EXEMPT.keys()), (
        f"operations without a policy: {sorted(ops - POLICY.keys() - EXEMPT.keys())}"
    )
    assert not sorted((POLICY.keys() | EXEMPT.keys()) - ops), (
        f"policies of no operation: {sorted((POLICY.keys() | EXEMPT.keys()) - ops)}"
    )
    assert not POLICY.keys() & EXEMPT.keys()
    outcome = run_matrix(client, app)
    wrong = [
        f"{op} as {role}: expected {expected}, got {status}"
        for op, statuses in outcome.statuses.items()
        for role, expected, status in zip(ROLES, POLICY[op], statuses, strict=True)
        if not _matches(expected, status)
    ]
    assert not wrong, "\n".join(wrong)

    secrets = _secrets(app)
    # Registering a webhook answers its new secret once, to the admin who registered it.
    shown_once = {("webhooks_create", "admin")}
    leaks = [
        (op, role)
        for op, role, _, text in outcome.bodies
        if (op, role) not in shown_once
        for secret in secrets
        if secret in text
    ]
    assert not leaks, f"hashes or secrets in responses: {leaks}"
    assert not [(op, role) for op, role, _, text in outcome.bodies if "$argon2" in text]
    # Only admins (who manage accounts) see other members' email addresses.
    emails = _member_emails(app)
    exposed = [
        (op, role, email)
        for op, role, caller, text in outcome.bodies
        if role != "admin" and op != "auth_register"  # a registrant sees their own address
        for email in emails
        if email != caller and email in text
    ]
    assert not exposed, f"members' emails shown to others: {exposed}"
    cells = len(outcome.statuses) * len(ROLES)
    record_property("authorization_cells", cells)
    print(
        f"authorization matrix: {len(outcome.statuses)} operations x {len(ROLES)} callers"
        f" = {cells} cells"
    )


def _member_emails(app: FastAPI) -> list[str]:
    with Session(app.state.engine) as session:
        return [member.email for member in session.exec(select(Member))]


# Fields no caller may set through a body: who they are, what they earned, who owns what.
PRIVILEGED = {
    "role": "admin",
    "is_active": False,
    "points": 999_999,
    "vote_count": 999_999,
    "votes": 999_999,
    "author_id": 999_999,
    "member_id": 999_999,
    "created_by_id": 999_999,
    "id": 999_999,
    "email_verified": True,
    "password_hash": "x",
}
# The admins' own function is to set these on others.
LEGITIMATE = {"members_update": {"role", "is_active"}}


def test_privileged_fields_in_bodies_are_refused_or_ignored(
    client: TestClient, app: FastAPI, public_dns: None
) -> None:
    """Mass assignment: every create and update body, sent by a caller allowed to use it,
    with each privileged field added is refused (422: bodies forbid unknown fields) or the
    field is ignored (the answer does not carry the injected value)."""
    w = build_world(client, app)
    checked = 0
    for op, method, path in operations(app):
        request = REQUESTS[op]
        if request.body is None or method == "DELETE":
            continue
        allowed = [r for r, expected in zip(ROLES, POLICY[op], strict=True) if expected == OK]
        if not allowed:  # e.g. a refresh with a made-up token: nobody gets past the check
            continue
        role = allowed[0]
        for name, value in PRIVILEGED.items():
            body = request.body(w)
            if name in body or name in LEGITIMATE.get(op, set()):
                continue
            url = path.format(**{key: w[ref] for key, ref in request.params.items()})
            response = client.request(
                method, url, json={**body, name: value}, headers=w.headers[role]
            )
            checked += 1
            if response.status_code == 422:
                assert any(issue["loc"][-1] == name for issue in response.json()["errors"]), (
                    op,
                    name,
                    response.text,
                )
                continue
            assert response.status_code < 300, (op, name, response.status_code, response.text)
            answer = response.json()
            assert not (isinstance(answer, dict) and answer.get(name) == value), (op, name)
    assert checked > 300
    print(f"mass assignment: {checked} (operation, field) pairs refused or ignored")
