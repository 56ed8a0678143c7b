"""Projects: creation, who may edit them, filters, completion and list cost."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import DomainEvent, ProjectCompleted, ProjectCreated
from app.main import create_app
from app.models import Role
from tests.conftest import make_settings
from tests.factories import (
    QueryCounter,
    auth_headers,
    make_member,
    make_project,
    member_with_headers,
)
from tests.projects.helpers import PROJECTS, add_member, create_project, members_path

Events = list[DomainEvent]


def test_creator_becomes_the_coordinator(
    client: TestClient, app: FastAPI, published: Events
) -> None:
    creator, headers = member_with_headers(app)
    response = client.post(
        PROJECTS,
        json={"title": "Virtual exhibition", "kind": "exhibition", "looking_for": ["Curation"]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    project = response.json()
    assert response.headers["location"] == f"{PROJECTS}/{project['id']}"
    assert project["status"] == "proposed"
    assert project["summary"] == ""
    assert project["looking_for"] == ["Curation"]
    assert project["member_count"] == 1
    assert project["coordinator_ids"] == [creator.id]
    assert project["my_membership"] == {"role": "coordinator", "status": "active"}
    assert project["completed_at"] is None
    assert ProjectCreated(actor_id=creator.id, project_id=project["id"]) in published


def test_projects_are_for_members_only(client: TestClient, app: FastAPI) -> None:
    project = make_project(app, make_member(app))
    assert client.get(PROJECTS).status_code == 401
    assert client.get(f"{PROJECTS}/{project.id}").status_code == 401
    assert client.post(PROJECTS, json={"title": "x", "kind": "other"}).status_code == 401


@pytest.mark.parametrize(
    "field",
    [
        {"coordinator_count": 5},
        {"member_count": 100},
        {"id": 99},
        {"completed_at": "2026-01-01T00:00:00Z"},
        {"created_by_id": 1},
        {"coordinator_ids": [1]},
    ],
)
def test_server_owned_fields_are_refused(
    client: TestClient, app: FastAPI, field: dict[str, Any]
) -> None:
    _, headers = member_with_headers(app)
    response = client.post(
        PROJECTS, json={"title": "Zine", "kind": "publication", **field}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:2] == ["body", next(iter(field))]
    project = create_project(client, headers)
    patched = client.patch(f"{PROJECTS}/{project['id']}", json=field, headers=headers)
    assert patched.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"title": "   ", "kind": "ebook"},
        {"title": "Zine\x00", "kind": "ebook"},
        {"title": "Zine", "kind": "novel"},
        {"title": "Zine", "kind": "ebook", "status": "finished"},
        {"title": "Zine", "kind": "ebook", "looking_for": ["x" * 51]},
        {"title": "x" * 201, "kind": "ebook"},
    ],
)
def test_invalid_projects_are_422(client: TestClient, app: FastAPI, body: dict[str, Any]) -> None:
    _, headers = member_with_headers(app)
    assert client.post(PROJECTS, json=body, headers=headers).status_code == 422


def test_list_filters_by_status_kind_and_skill(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    ebook = create_project(client, headers, looking_for=["Editing", "Layout"])
    exhibition = create_project(
        client, headers, kind="exhibition", status="active", looking_for=["curation"]
    )
    social = create_project(client, headers, kind="social", looking_for=[])

    def ids(**params: str) -> list[int]:
        response = client.get(PROJECTS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [social["id"], exhibition["id"], ebook["id"]]  # newest first
    assert ids(status="active") == [exhibition["id"]]
    assert ids(kind="ebook") == [ebook["id"]]
    assert ids(looking_for="LAYOUT") == [ebook["id"]]
    assert ids(looking_for="Curation", status="proposed") == []
    assert client.get(PROJECTS, params={"kind": "novel"}, headers=headers).status_code == 422


def test_list_pages_with_a_cursor(client: TestClient, app: FastAPI) -> None:
    coordinator, headers = member_with_headers(app)
    made = [make_project(app, coordinator).id for _ in range(5)]
    first = client.get(PROJECTS, params={"limit": 3}, headers=headers).json()
    second = client.get(
        PROJECTS, params={"limit": 3, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert [p["id"] for p in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None


def test_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    viewer, headers = member_with_headers(app)
    for n in range(12):
        coordinator, coordinator_headers = member_with_headers(app)
        project = make_project(app, coordinator, looking_for=[f"skill{n}", "shared"])
        assert project.id is not None
        if n % 2:
            add_member(client, project.id, coordinator_headers, viewer.id)
    counts = {}
    for limit in (2, 12):
        queries.reset()
        response = client.get(PROJECTS, params={"limit": limit}, headers=headers)
        assert len(response.json()["items"]) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[12], counts


def test_get_carries_an_etag_and_answers_304(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    project = create_project(client, headers)
    first = client.get(f"{PROJECTS}/{project['id']}", headers=headers)
    assert first.status_code == 200
    again = client.get(
        f"{PROJECTS}/{project['id']}", headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    missing = client.get(f"{PROJECTS}/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "project_not_found"


def test_get_shows_what_the_write_showed_in_three_statements_however_many_coordinators(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    creator, headers = member_with_headers(app)
    viewer, viewer_headers = member_with_headers(app)
    project = create_project(client, headers, looking_for=["Editing", "Layout", "Printing"])
    path = f"{PROJECTS}/{project['id']}"
    counts = []
    for _ in range(2):
        queries.reset()
        shown = client.get(path, headers=headers).json()
        counts.append(queries.count)
        assert {**shown, "updated_at": None} == {**project, "updated_at": None}
        coordinator = make_member(app)
        add_member(client, project["id"], headers, coordinator.id, role="coordinator")
        project = client.get(path, headers=headers).json()
    # The project, its skills, its coordinators with the caller's membership.
    assert counts == [3, 3]
    assert project["looking_for"] == ["Editing", "Layout", "Printing"]
    assert len(project["coordinator_ids"]) == 3 and creator.id in project["coordinator_ids"]
    add_member(client, project["id"], headers, viewer.id)
    seen_by_viewer = client.get(path, headers=viewer_headers).json()
    assert seen_by_viewer["my_membership"] == {"role": "contributor", "status": "active"}


def test_coordinator_edits_with_if_match(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    project = create_project(client, headers)
    path = f"{PROJECTS}/{project['id']}"
    etag = client.get(path, headers=headers).headers["etag"]
    changed = client.patch(
        path,
        json={"status": "active", "looking_for": ["Layout"]},
        headers={**headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "active"
    assert changed.json()["looking_for"] == ["Layout"]
    stale = client.patch(path, json={"title": "Other"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(path, headers=headers).json()["title"] == project["title"]
    nulled = client.patch(path, json={"title": None}, headers=headers)
    assert nulled.status_code == 422


def test_only_coordinators_of_that_project_or_organizers_edit(
    client: TestClient, app: FastAPI
) -> None:
    _, owner = member_with_headers(app)
    _, other_coordinator = member_with_headers(app)
    contributor, contributor_headers = member_with_headers(app)
    _, organizer = member_with_headers(app, role=Role.ORGANIZER)
    project = create_project(client, owner)
    create_project(client, other_coordinator)  # coordinating B gives no power over A
    add_member(client, project["id"], owner, contributor.id)
    path = f"{PROJECTS}/{project['id']}"
    for headers in (other_coordinator, contributor_headers):
        refused = client.patch(path, json={"title": "Mine now"}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_project_coordinator"
        assert client.delete(path, headers=headers).status_code == 403
    assert client.patch(path, json={"status": "archived"}, headers=organizer).status_code == 200
    assert client.delete(path, headers=organizer).status_code == 204
    assert client.get(path, headers=owner).status_code == 404


def test_coordinator_deletes_project_with_everything_in_it(
    client: TestClient, app: FastAPI
) -> None:
    _member, headers = member_with_headers(app)
    project = create_project(client, headers)
    client.post(f"{PROJECTS}/{project['id']}/tasks", json={"title": "Edit"}, headers=headers)
    client.post(f"{PROJECTS}/{project['id']}/updates", json={"body": "Started"}, headers=headers)
    assert client.delete(f"{PROJECTS}/{project['id']}", headers=headers).status_code == 204
    assert client.get(members_path(project["id"]), headers=headers).status_code == 404
    assert client.get(PROJECTS, headers=headers).json()["items"] == []


def test_completion_is_announced_once_with_the_active_members(
    client: TestClient, app: FastAPI, published: Events
) -> None:
    coordinator, headers = member_with_headers(app)
    contributor = make_member(app)
    requester, requester_headers = member_with_headers(app)
    project = create_project(client, headers, status="active")
    add_member(client, project["id"], headers, contributor.id)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    path = f"{PROJECTS}/{project['id']}"
    done = client.patch(path, json={"status": "completed"}, headers=headers)
    assert done.status_code == 200
    assert done.json()["completed_at"] is not None
    for status in ("completed", "active", "completed"):
        assert client.patch(path, json={"status": status}, headers=headers).status_code == 200
    completions = [e for e in published if isinstance(e, ProjectCompleted)]
    assert completions == [
        ProjectCompleted(
            actor_id=coordinator.id,
            project_id=project["id"],
            member_ids=tuple(sorted(m.id for m in (coordinator, contributor) if m.id is not None)),
        )
    ]
    assert requester.id not in completions[0].member_ids
    assert client.get(path, headers=headers).json()["completed_at"] == done.json()["completed_at"]


@pytest.mark.parametrize("status", ["completed", "active", "archived"])
def test_a_project_cannot_be_created_past_its_first_state(
    client: TestClient, app: FastAPI, published: Events, status: str
) -> None:
    """Created `completed`, a project earned its badge, a notification and the
    `project.completed` webhook without the transition that decides who may complete it."""
    _, headers = member_with_headers(app)
    response = client.post(
        PROJECTS, json={"title": "instant", "kind": "other", "status": status}, headers=headers
    )
    assert response.status_code == 422, response.text
    [issue] = response.json()["errors"]
    assert issue["loc"] == ["body", "status"]
    assert "A project starts proposed" in issue["msg"]
    assert [e for e in published if isinstance(e, ProjectCreated | ProjectCompleted)] == []
    assert client.get(PROJECTS, headers=headers).json()["items"] == []


def test_a_project_created_proposed_explicitly_is_accepted(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    body = {"title": "Zine", "kind": "publication", "status": "proposed"}
    response = client.post(PROJECTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "proposed"


def test_creating_projects_their_updates_and_tasks_spends_the_posting_budget(
    database_url: str, engine: object
) -> None:
    """Each creation fans out (the `project.created` webhook, notifications) or earns points
    (an update; a task created done): it is posting, with posting's budget per member."""
    app = create_app(
        make_settings(database_url, rate_limit_enabled=True, rate_limit_posting="4/hour")
    )
    with TestClient(app) as client:
        one, two = auth_headers(app, make_member(app)), auth_headers(app, make_member(app))
        body = {"title": "Zine", "kind": "publication"}
        first = client.post(PROJECTS, json=body, headers=one)
        assert first.status_code == 201
        project = f"{PROJECTS}/{first.json()['id']}"
        update = {"body": "Started."}
        assert client.post(f"{project}/updates", json=update, headers=one).status_code == 201
        task = {"title": "Cover", "status": "done"}
        assert client.post(f"{project}/tasks", json=task, headers=one).status_code == 201
        assert client.post(PROJECTS, json=body, headers=one).status_code == 201
        limited = client.post(PROJECTS, json=body, headers=one)
        assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
        assert client.post(PROJECTS, json=body, headers=two).status_code == 201
    app.state.engine.dispose()
