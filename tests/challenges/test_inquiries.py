"""Inquiries: prospective clients write to creators open for commissions."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from tests.challenges.helpers import notification_types
from tests.conftest import make_settings
from tests.factories import member_with_headers

INQUIRY = {
    "name": "Ayu Lestari",
    "email": "ayu@studio.example.com",
    "message": "Could you illustrate our café's menu?\nBudget flexible.",
}


def _url(member_id: int) -> str:
    return f"/api/v1/members/{member_id}/inquiries"


def test_an_anonymous_client_writes_to_a_creator_who_is_notified(
    client: TestClient, app: FastAPI
) -> None:
    creator, headers = member_with_headers(app, open_for_commissions=True)
    response = client.post(_url(creator.id), json=INQUIRY)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    inquiry = response.json()
    assert response.headers["location"] == f"/api/v1/members/me/inquiries/{inquiry['id']}"
    assert (inquiry["member_id"], inquiry["sender_id"], inquiry["email"]) == (
        creator.id,
        None,
        INQUIRY["email"],
    )
    assert notification_types(client, headers)[0] == "inquiry.received"
    inbox = client.get("/api/v1/members/me/inquiries", headers=headers).json()["items"]
    assert [i["id"] for i in inbox] == [inquiry["id"]]
    one = client.get(f"/api/v1/members/me/inquiries/{inquiry['id']}", headers=headers)
    assert one.json()["message"] == INQUIRY["message"]
    _, stranger = member_with_headers(app)
    assert client.get("/api/v1/members/me/inquiries", headers=stranger).json()["items"] == []
    other = client.get(f"/api/v1/members/me/inquiries/{inquiry['id']}", headers=stranger)
    assert other.status_code == 404


def test_a_logged_in_sender_is_recorded(client: TestClient, app: FastAPI) -> None:
    creator, _ = member_with_headers(app, open_for_commissions=True)
    sender, headers = member_with_headers(app)
    inquiry = client.post(_url(creator.id), json=INQUIRY, headers=headers).json()  # type: ignore[arg-type]
    assert inquiry["sender_id"] == sender.id


def test_only_members_open_for_commissions_take_inquiries(client: TestClient, app: FastAPI) -> None:
    busy, _ = member_with_headers(app)
    response = client.post(_url(busy.id), json=INQUIRY)  # type: ignore[arg-type]
    assert response.status_code == 409
    assert response.json()["code"] == "not_open_for_commissions"
    gone, _ = member_with_headers(app, open_for_commissions=True, is_active=False)
    assert client.post(_url(gone.id), json=INQUIRY).status_code == 404  # type: ignore[arg-type]
    assert client.post(_url(999_999), json=INQUIRY).status_code == 404


def test_inquiry_fields_are_validated(client: TestClient, app: FastAPI) -> None:
    creator, _ = member_with_headers(app, open_for_commissions=True)
    for bad in (
        {**INQUIRY, "email": "not an email"},
        {**INQUIRY, "message": "   "},
        {**INQUIRY, "name": "A\x00B"},
        {**INQUIRY, "message": "x" * 5001},
        {**INQUIRY, "phone": "123"},
    ):
        assert client.post(_url(creator.id), json=bad).status_code == 422, bad  # type: ignore[arg-type]


def test_inquiries_are_strictly_rate_limited(database_url: str) -> None:
    app = create_app(
        make_settings(database_url, rate_limit_enabled=True, rate_limit_inquiries="2/hour")
    )
    with TestClient(app) as client:
        creator, _ = member_with_headers(app, open_for_commissions=True)
        statuses = [client.post(_url(creator.id), json=INQUIRY).status_code for _ in range(3)]  # type: ignore[arg-type]
        assert statuses == [201, 201, 429]
        assert int(client.post(_url(creator.id), json=INQUIRY).headers["retry-after"]) >= 1  # type: ignore[arg-type]
        # The rest of the API keeps its own, looser limit.
        assert client.get(f"/api/v1/members/{creator.id}").status_code == 200
    app.state.engine.dispose()
