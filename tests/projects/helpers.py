"""Project test data, created through the HTTP API as a client would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PROJECTS = "/api/v1/projects"


def project_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Kumpulan Cerita Kota",
        "summary": "Twelve short stories about our cities, illustrated by members.",
        "kind": "ebook",
        "looking_for": ["Editing", "illustration"],
    }
    body.update(overrides)
    return body


def create_project(
    client: TestClient, headers: dict[str, str], *, status: str = "proposed", **overrides: Any
) -> dict[str, Any]:
    """A new project, moved on to `status` with a PATCH as a coordinator would: a project
    can only be created `proposed`."""
    response = client.post(PROJECTS, json=project_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    if status != created["status"]:
        path = f"{PROJECTS}/{created['id']}"
        response = client.patch(path, json={"status": status}, headers=headers)
        assert response.status_code == 200, response.text
        created = response.json()
    return created


def members_path(project_id: int, member_id: int | None = None) -> str:
    path = f"{PROJECTS}/{project_id}/members"
    return path if member_id is None else f"{path}/{member_id}"


def tasks_path(project_id: int, task_id: int | None = None) -> str:
    path = f"{PROJECTS}/{project_id}/tasks"
    return path if task_id is None else f"{path}/{task_id}"


def add_member(
    client: TestClient,
    project_id: int,
    coordinator: dict[str, str],
    member_id: int | None,
    role: str = "contributor",
) -> dict[str, Any]:
    response = client.post(
        members_path(project_id), json={"member_id": member_id, "role": role}, headers=coordinator
    )
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    return added


def notifications(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/notifications", headers=headers).json()[
        "items"
    ]
    return items
