"""Project membership: join requests and answers, roles scoped to one project, leaving,
and the last coordinator, also under concurrent requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Project, Role
from tests.factories import QueryCounter, make_member, member_with_headers
from tests.projects.helpers import (
    PROJECTS,
    add_member,
    create_project,
    members_path,
    notifications,
    tasks_path,
)


def test_join_request_is_pending_and_notifies_the_coordinators(
    client: TestClient, app: FastAPI
) -> None:
    _, owner = member_with_headers(app)
    second, second_headers = member_with_headers(app)
    requester, requester_headers = member_with_headers(app, display_name="Budi Santoso")
    project = create_project(client, owner)
    add_member(client, project["id"], owner, second.id, role="coordinator")

    response = client.post(members_path(project["id"]), json={}, headers=requester_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["role"], body["joined_at"]) == ("pending", "contributor", None)
    assert body["handle"] == requester.handle
    location = response.headers["location"]
    assert location == members_path(project["id"], requester.id)
    assert client.get(location, headers=requester_headers).json() == body

    for headers in (owner, second_headers):
        (note,) = [
            n for n in notifications(client, headers) if n["type"] == "project.join_requested"
        ]
        assert note["title"].startswith("Budi Santoso")
        assert note["data"] == {"project_id": project["id"], "requester_id": requester.id}
    assert notifications(client, requester_headers)[0]["type"] == "member.welcome"
    project_now = client.get(f"{PROJECTS}/{project['id']}", headers=requester_headers).json()
    assert project_now["member_count"] == 2
    assert project_now["my_membership"] == {"role": "contributor", "status": "pending"}


def test_a_second_request_or_a_member_joining_conflicts(client: TestClient, app: FastAPI) -> None:
    _coordinator, owner = member_with_headers(app)
    _, requester = member_with_headers(app)
    project = create_project(client, owner)
    assert client.post(members_path(project["id"]), json={}, headers=requester).status_code == 201
    again = client.post(members_path(project["id"]), json={}, headers=requester)
    assert again.status_code == 409
    assert again.json()["code"] == "join_request_pending"
    member = client.post(members_path(project["id"]), json={}, headers=owner)
    assert member.status_code == 409
    assert member.json()["code"] == "already_project_member"


def test_join_request_cannot_choose_status_or_role(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    _, requester = member_with_headers(app)
    project = create_project(client, owner)
    for body in ({"status": "active"}, {"role": "coordinator"}, {"joined_at": None}):
        response = client.post(members_path(project["id"]), json=body, headers=requester)
        assert response.status_code == 422, body
    members = client.get(members_path(project["id"]), headers=owner).json()["items"]
    assert len(members) == 1


def test_closed_projects_take_no_requests(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    _, requester = member_with_headers(app)
    for status in ("completed", "archived"):
        project = create_project(client, owner, status=status)
        response = client.post(members_path(project["id"]), json={}, headers=requester)
        assert response.status_code == 409
        assert response.json()["code"] == "project_not_open"


def test_coordinator_approves_and_the_requester_is_told(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    requester, requester_headers = member_with_headers(app)
    project = create_project(client, owner)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    path = members_path(project["id"], requester.id)
    etag = client.get(path, headers=owner).headers["etag"]
    approved = client.patch(path, json={"status": "active"}, headers={**owner, "If-Match": etag})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active"
    assert approved.json()["joined_at"] is not None
    assert client.get(f"{PROJECTS}/{project['id']}", headers=owner).json()["member_count"] == 2
    assert notifications(client, requester_headers)[0]["type"] == "project.join_approved"
    stale = client.patch(path, json={"role": "coordinator"}, headers={**owner, "If-Match": etag})
    assert stale.status_code == 412


def test_approving_as_coordinator_counts_a_coordinator(client: TestClient, app: FastAPI) -> None:
    owner_member, owner = member_with_headers(app)
    requester, requester_headers = member_with_headers(app)
    project = create_project(client, owner)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    client.patch(
        members_path(project["id"], requester.id),
        json={"status": "active", "role": "coordinator"},
        headers=owner,
    )
    body = client.get(f"{PROJECTS}/{project['id']}", headers=owner).json()
    assert body["coordinator_ids"] == sorted([owner_member.id, requester.id])  # type: ignore[type-var]
    # Now the first coordinator may step down.
    leave = client.delete(members_path(project["id"], owner_member.id), headers=owner)
    assert leave.status_code == 204


def test_coordinator_declines_and_the_requester_is_told(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    requester, requester_headers = member_with_headers(app)
    project = create_project(client, owner)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    declined = client.delete(members_path(project["id"], requester.id), headers=owner)
    assert declined.status_code == 204
    assert notifications(client, requester_headers)[0]["type"] == "project.join_declined"
    # Declined is not banned: the member may ask again.
    again = client.post(members_path(project["id"]), json={}, headers=requester_headers)
    assert again.status_code == 201


def test_a_coordinator_of_project_a_has_no_power_over_project_b(
    client: TestClient, app: FastAPI
) -> None:
    _, coordinator_a = member_with_headers(app)
    _, coordinator_b = member_with_headers(app)
    requester, requester_headers = member_with_headers(app)
    outsider = make_member(app)
    create_project(client, coordinator_a)
    project_b = create_project(client, coordinator_b)
    client.post(members_path(project_b["id"]), json={}, headers=requester_headers)
    path = members_path(project_b["id"], requester.id)

    approve = client.patch(path, json={"status": "active"}, headers=coordinator_a)
    assert approve.status_code == 403
    assert approve.json()["code"] == "not_project_coordinator"
    assert client.delete(path, headers=coordinator_a).status_code == 403
    add = client.post(
        members_path(project_b["id"]), json={"member_id": outsider.id}, headers=coordinator_a
    )
    assert add.status_code == 403
    assert client.get(path, headers=coordinator_b).json()["status"] == "pending"


def test_members_cannot_manage_others(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    contributor, contributor_headers = member_with_headers(app)
    requester, requester_headers = member_with_headers(app)
    project = create_project(client, owner)
    add_member(client, project["id"], owner, contributor.id)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    path = members_path(project["id"], requester.id)
    for attempt in (
        client.patch(path, json={"status": "active"}, headers=contributor_headers),
        client.delete(path, headers=contributor_headers),
        client.patch(
            members_path(project["id"], contributor.id),
            json={"role": "coordinator"},
            headers=contributor_headers,
        ),
    ):
        assert attempt.status_code == 403
    # Nor approve themselves by asking again with a status.
    assert client.get(path, headers=requester_headers).json()["status"] == "pending"


def test_pending_requests_are_seen_by_managers_and_the_requester_only(
    client: TestClient, app: FastAPI
) -> None:
    owner_member, owner = member_with_headers(app)
    requester, requester_headers = member_with_headers(app)
    _, bystander = member_with_headers(app)
    _, organizer = member_with_headers(app, role=Role.ORGANIZER)
    project = create_project(client, owner)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)

    def listed(headers: dict[str, str], **params: str) -> list[int]:
        response = client.get(members_path(project["id"]), params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [m["member_id"] for m in response.json()["items"]]

    everyone = sorted([owner_member.id, requester.id])  # type: ignore[type-var]
    assert listed(owner) == everyone
    assert listed(organizer) == everyone
    assert listed(requester_headers) == everyone
    assert listed(bystander) == [owner_member.id]
    assert listed(owner, status="pending") == [requester.id]
    assert listed(owner, role="coordinator") == [owner_member.id]
    hidden = client.get(members_path(project["id"], requester.id), headers=bystander)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "project_member_not_found"


def test_coordinators_add_members_directly(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    added, added_headers = member_with_headers(app)
    requester, requester_headers = member_with_headers(app)
    gone = make_member(app, is_active=False)
    project = create_project(client, owner)

    body = add_member(client, project["id"], owner, added.id)
    assert (body["status"], body["role"]) == ("active", "contributor")
    assert notifications(client, added_headers)[0]["type"] == "project.member_added"
    again = client.post(members_path(project["id"]), json={"member_id": added.id}, headers=owner)
    assert again.json()["code"] == "already_project_member"
    missing = client.post(members_path(project["id"]), json={"member_id": gone.id}, headers=owner)
    assert missing.status_code == 404
    assert missing.json()["code"] == "member_not_found"
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    pending = client.post(
        members_path(project["id"]), json={"member_id": requester.id}, headers=owner
    )
    assert pending.status_code == 409
    assert pending.json()["code"] == "join_request_pending"


def test_organizers_add_members_to_any_project(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    organizer, organizer_headers = member_with_headers(app, role=Role.ORGANIZER)
    project = create_project(client, owner)
    body = add_member(client, project["id"], organizer_headers, organizer.id, role="coordinator")
    assert body["role"] == "coordinator"


def test_the_last_coordinator_can_neither_leave_nor_be_demoted(
    client: TestClient, app: FastAPI
) -> None:
    owner_member, owner = member_with_headers(app)
    contributor, contributor_headers = member_with_headers(app)
    _, organizer = member_with_headers(app, role=Role.ORGANIZER)
    project = create_project(client, owner)
    add_member(client, project["id"], owner, contributor.id)
    path = members_path(project["id"], owner_member.id)

    for attempt in (
        client.delete(path, headers=owner),
        client.delete(path, headers=organizer),
        client.patch(path, json={"role": "contributor"}, headers=owner),
        client.patch(path, json={"role": "contributor"}, headers=organizer),
    ):
        assert attempt.status_code == 409
        assert attempt.json()["code"] == "last_coordinator"
    assert client.get(path, headers=owner).json()["role"] == "coordinator"

    promote = client.patch(
        members_path(project["id"], contributor.id), json={"role": "coordinator"}, headers=owner
    )
    assert promote.status_code == 200
    assert client.patch(path, json={"role": "contributor"}, headers=owner).status_code == 200
    assert client.delete(path, headers=owner).status_code == 204
    last = members_path(project["id"], contributor.id)
    assert client.delete(last, headers=contributor_headers).status_code == 409


def test_two_coordinators_leaving_at_once_leave_one_behind(
    live: str, client: TestClient, app: FastAPI, session: Session
) -> None:
    first, first_headers = member_with_headers(app)
    second, second_headers = member_with_headers(app)
    project = create_project(client, first_headers)
    add_member(client, project["id"], first_headers, second.id, role="coordinator")
    jobs = [(first.id, first_headers), (second.id, second_headers)]

    def leave(job: tuple[int | None, dict[str, str]]) -> int:
        member_id, headers = job
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.delete(members_path(project["id"], member_id), headers=headers).status_code

    for _ in range(3):  # a few rounds: the race must be lost every time, not just once
        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = sorted(pool.map(leave, jobs))
        assert statuses == [204, 409]
        stored = session.get(Project, project["id"], populate_existing=True)
        assert stored is not None
        assert (stored.coordinator_count, stored.member_count) == (1, 1)
        remaining = client.get(f"{PROJECTS}/{project['id']}", headers=first_headers).json()
        (stayed,) = remaining["coordinator_ids"]
        # Bring the one who left back as a coordinator for the next round.
        gone = second if stayed == first.id else first
        stayed_headers = first_headers if stayed == first.id else second_headers
        add_member(client, project["id"], stayed_headers, gone.id, role="coordinator")
        session.rollback()


def test_leaving_unassigns_the_members_tasks(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    contributor, contributor_headers = member_with_headers(app)
    project = create_project(client, owner)
    add_member(client, project["id"], owner, contributor.id)
    task = client.post(
        tasks_path(project["id"]),
        json={"title": "Layout", "assignee_id": contributor.id},
        headers=owner,
    ).json()
    assert task["assignee_id"] == contributor.id
    leave = client.delete(members_path(project["id"], contributor.id), headers=contributor_headers)
    assert leave.status_code == 204
    assert (
        client.get(tasks_path(project["id"], task["id"]), headers=owner).json()["assignee_id"]
        is None
    )
    assert client.get(f"{PROJECTS}/{project['id']}", headers=owner).json()["member_count"] == 1


def test_removed_members_are_told_and_lose_their_tasks(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    contributor, contributor_headers = member_with_headers(app)
    project = create_project(client, owner)
    add_member(client, project["id"], owner, contributor.id)
    task = client.post(
        tasks_path(project["id"]),
        json={"title": "Layout", "assignee_id": contributor.id},
        headers=contributor_headers,
    ).json()
    assert (
        client.delete(members_path(project["id"], contributor.id), headers=owner).status_code == 204
    )
    assert notifications(client, contributor_headers)[0]["type"] == "project.member_removed"
    assert (
        client.get(tasks_path(project["id"], task["id"]), headers=owner).json()["assignee_id"]
        is None
    )
    gone = client.post(tasks_path(project["id"]), json={"title": "x"}, headers=contributor_headers)
    assert gone.status_code == 403


def test_membership_of_a_stranger_is_404(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    stranger, stranger_headers = member_with_headers(app)
    project = create_project(client, owner)
    response = client.delete(members_path(project["id"], stranger.id), headers=stranger_headers)
    assert response.status_code == 404
    assert (
        client.patch(
            members_path(project["id"], stranger.id), json={"status": "active"}, headers=owner
        ).status_code
        == 404
    )


def test_member_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, owner = member_with_headers(app)
    project = create_project(client, owner)
    for _ in range(9):
        add_member(client, project["id"], owner, make_member(app).id)
    counts = {}
    for limit in (2, 10):
        queries.reset()
        response = client.get(members_path(project["id"]), params={"limit": limit}, headers=owner)
        assert len(response.json()["items"]) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[10], counts


def test_join_requests_sent_at_once_leave_one(live: str, client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    _, requester = member_with_headers(app)
    project = create_project(client, owner)

    def ask(_: int) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.post(members_path(project["id"]), json={}, headers=requester).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(ask, range(4)))
    assert statuses == [201, 409, 409, 409]
    pending = client.get(members_path(project["id"]), params={"status": "pending"}, headers=owner)
    assert len(pending.json()["items"]) == 1
