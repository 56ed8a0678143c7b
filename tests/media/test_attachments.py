"""Attaching uploads: a work's files, an avatar, covers of events, challenges and projects;
who may see them once attached; what a withdrawn or deleted work leaves behind."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.media import access, attachments
from app.media import service as media_service
from app.media.storage import open_storage
from app.models import (
    Event,
    Media,
    MediaKind,
    MediaStatus,
    MediaUsage,
    Member,
    Role,
    Submission,
)
from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    Headers,
    create_challenge,
    move_to,
    organizer,
    submit,
    works,
)
from tests.events.helpers import EVENTS, create_event
from tests.factories import QueryCounter, make_media, member_with_headers
from tests.projects.helpers import PROJECTS, create_project

ME = "/api/v1/members/me"


def upload(
    app: FastAPI,
    owner: Member,
    *,
    kind: MediaKind = MediaKind.IMAGE,
    status: MediaStatus = MediaStatus.READY,
    size: int = 1000,
) -> int:
    with Session(app.state.engine) as session:
        media = make_media(session, owner, kind=kind, status=status, size=size)
        session.commit()
        assert media.id is not None
        return media.id


def media_row(app: FastAPI, media_id: int) -> Media:
    with Session(app.state.engine, expire_on_commit=False) as session:
        found = session.get(Media, media_id)
        assert found is not None
        return found


def usage_of(app: FastAPI, member: Member) -> int:
    with Session(app.state.engine) as session:
        usage = session.get(MediaUsage, member.id)
        return usage.bytes if usage else 0


def ids_of(media: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in media]


def visible(app: FastAPI, media_id: int, viewer: Member | None) -> bool:
    """What the media endpoints ask: may this viewer see the media?"""
    with Session(app.state.engine) as session:
        return access.may_see(session, media_row(app, media_id), viewer)


# --- works ---------------------------------------------------------------------------------


def test_a_work_shows_its_files_in_the_authors_order(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app))
    author, headers = member_with_headers(app)
    first, second = upload(app, author), upload(app, author, kind=MediaKind.AUDIO)
    processing = upload(app, author, status=MediaStatus.PROCESSING)
    work = submit(client, challenge["id"], headers, media_ids=[second, first, processing])
    assert ids_of(work["media"]) == [second, first, processing]
    shown = work["media"][1]
    assert shown["url"] == f"/api/v1/media/{first}/content"
    assert shown["variants"]["thumb"]["url"] == f"/api/v1/media/{first}/content?variant=thumb"
    assert work["media"][2]["status"] == "processing"
    _, reader = member_with_headers(app)
    one = client.get(f"{SUBMISSIONS}/{work['id']}", headers=reader).json()
    assert ids_of(one["media"]) == [second, first, processing]
    assert [ids_of(w["media"]) for w in works(client, challenge["id"], reader)] == [
        [second, first, processing]
    ]
    assert all(media_row(app, i).attached_at is not None for i in (first, second, processing))


def test_editing_a_work_replaces_its_files(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app))
    author, headers = member_with_headers(app)
    a, b, c = (upload(app, author) for _ in range(3))
    work = submit(client, challenge["id"], headers, media_ids=[a, b])
    path = f"{SUBMISSIONS}/{work['id']}"
    changed = client.patch(path, json={"media_ids": [c, a]}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert ids_of(changed.json()["media"]) == [c, a]
    assert ids_of(client.get(path, headers=headers).json()["media"]) == [c, a]
    # b left the work but stays in the author's library: attached once, never removed.
    assert media_row(app, b).deleted_at is None and media_row(app, b).attached_at is not None
    emptied = client.patch(path, json={"media_ids": []}, headers=headers)
    assert emptied.json()["media"] == []
    assert client.patch(path, json={"media_ids": None}, headers=headers).status_code == 422


def test_only_the_authors_usable_uploads_attach(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app))
    author, headers = member_with_headers(app)
    stranger, _ = member_with_headers(app)
    mine = upload(app, author)
    failed = upload(app, author, status=MediaStatus.FAILED)
    deleted = upload(app, author)
    with Session(app.state.engine) as session:
        row = session.get(Media, deleted)
        assert row is not None
        row.deleted_at = row.created_at
        session.add(row)
        session.commit()
    path = f"{CHALLENGES}/{challenge['id']}/submissions"
    for bad in (upload(app, stranger), 999_999, failed, deleted):
        body = {"title": "Pasar pagi", "media_ids": [mine, bad]}
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "media_unavailable"
        assert problem["errors"][0]["loc"] == ["body", "media_ids", 1]
        assert f"Media {bad} " in problem["detail"]
    assert media_row(app, mine).attached_at is None  # nothing changed
    assert works(client, challenge["id"], headers) == []
    too_many = [upload(app, author) for _ in range(11)]
    for ids in (too_many, [mine, mine], [0]):
        response = client.post(path, json={"title": "x", "media_ids": ids}, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert len(submit(client, challenge["id"], headers, media_ids=too_many[:10])["media"]) == 10


def test_results_and_the_showcase_show_the_works_files(client: TestClient, app: FastAPI) -> None:
    staff = organizer(app)
    challenge = create_challenge(client, staff)
    author, headers = member_with_headers(app)
    files = [upload(app, author), upload(app, author)]
    work = submit(client, challenge["id"], headers, media_ids=files)
    url = f"{SUBMISSIONS}/{work['id']}/moderation"
    assert client.post(url, json={"action": "feature"}, headers=staff).status_code == 200
    move_to(client, staff, challenge["id"], "closed")
    results = client.get(f"{CHALLENGES}/{challenge['id']}/results").json()["items"]
    assert [ids_of(item["submission"]["media"]) for item in results] == [files]
    showcase = client.get("/api/v1/showcase").json()["items"]
    assert [ids_of(item["submission"]["media"]) for item in showcase] == [files]


def test_a_page_of_works_reads_their_files_in_one_query(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    challenge = create_challenge(client, organizer(app))
    for n in range(8):
        author, headers = member_with_headers(app)
        files = [upload(app, author) for _ in range(2)]
        submit(client, challenge["id"], headers, title=f"Work {n}", media_ids=files)
    _, viewer = member_with_headers(app)

    def count(limit: int) -> int:
        queries.reset()
        response = client.get(
            f"{CHALLENGES}/{challenge['id']}/submissions", params={"limit": limit}, headers=viewer
        )
        assert [len(w["media"]) for w in response.json()["items"]] == [2] * limit
        return queries.count

    assert count(2) == count(8)


def test_a_withdrawn_work_takes_its_files_with_it(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app), max_submissions_per_member=2)
    author, headers = member_with_headers(app)
    only_here, shared, kept = (upload(app, author, size=s) for s in (300, 500, 700))
    before = usage_of(app, author)
    work = submit(client, challenge["id"], headers, media_ids=[only_here, shared])
    submit(client, challenge["id"], headers, title="Other", media_ids=[shared])
    assert client.delete(f"{SUBMISSIONS}/{work['id']}", headers=headers).status_code == 204
    assert media_row(app, only_here).deleted_at is not None
    assert media_row(app, shared).deleted_at is None
    assert media_row(app, kept).deleted_at is None
    assert usage_of(app, author) == before - 300
    # The tally stays the sum of what is left.
    with Session(app.state.engine) as session:
        left = session.exec(
            select(Media.bytes).where(Media.owner_id == author.id, col(Media.deleted_at).is_(None))
        ).all()
    assert usage_of(app, author) == sum(left)


def test_a_deleted_challenge_takes_its_works_files(client: TestClient, app: FastAPI) -> None:
    staff = organizer(app)
    challenge = create_challenge(client, staff)
    author, headers = member_with_headers(app)
    avatar, work_file = upload(app, author), upload(app, author, size=400)
    assert client.patch(ME, json={"avatar_media_id": avatar}, headers=headers).status_code == 200
    submit(client, challenge["id"], headers, media_ids=[work_file, avatar])
    before = usage_of(app, author)
    assert client.delete(f"{CHALLENGES}/{challenge['id']}", headers=staff).status_code == 204
    assert media_row(app, work_file).deleted_at is not None
    assert media_row(app, avatar).deleted_at is None  # still the author's avatar
    assert usage_of(app, author) == before - 400


def test_a_works_files_are_seen_by_whoever_sees_the_work(client: TestClient, app: FastAPI) -> None:
    staff = organizer(app)
    challenge = create_challenge(client, staff)
    author, headers = member_with_headers(app)
    reader, _ = member_with_headers(app)
    admin, _ = member_with_headers(app, role=Role.ADMIN)
    loose, attached = upload(app, author), upload(app, author)
    work = submit(client, challenge["id"], headers, media_ids=[attached])
    assert visible(app, attached, author) and visible(app, loose, author)
    assert visible(app, attached, reader)
    assert not visible(app, loose, reader)  # in the library, shown nowhere
    assert not visible(app, attached, None)  # works are public once the challenge closes
    move_to(client, staff, challenge["id"], "closed")
    assert visible(app, attached, None)
    moderation = f"{SUBMISSIONS}/{work['id']}/moderation"
    client.post(moderation, json={"action": "disqualify"}, headers=staff)
    assert not visible(app, attached, None) and visible(app, attached, reader)
    client.post(moderation, json={"action": "reinstate"}, headers=staff)
    with Session(app.state.engine) as session:  # hidden after a report
        row = session.get(Submission, work["id"])
        assert row is not None
        row.hidden_at = row.created_at
        session.add(row)
        session.commit()
    assert not visible(app, attached, reader) and not visible(app, attached, None)
    assert visible(app, attached, admin)


# --- avatars -------------------------------------------------------------------------------


def test_an_uploaded_avatar_shows_wherever_the_member_does(
    client: TestClient, app: FastAPI
) -> None:
    member, headers = member_with_headers(app)
    image = upload(app, member)
    changed = client.patch(ME, json={"avatar_media_id": image}, headers=headers)
    assert changed.status_code == 200, changed.text
    thumb = f"/api/v1/media/{image}/content?variant=thumb"
    assert (changed.json()["avatar_media_id"], changed.json()["avatar_url"]) == (image, thumb)
    assert media_row(app, image).attached_at is not None
    challenge = create_challenge(client, organizer(app))
    assert submit(client, challenge["id"], headers)["author"]["avatar_url"] == thumb
    assert client.get(f"/api/v1/members/{member.id}").json()["avatar_url"] == thumb
    # A link elsewhere replaces it; null clears both.
    link = client.patch(ME, json={"avatar_url": "https://img.example.com/me.png"}, headers=headers)
    assert link.json()["avatar_media_id"] is None
    client.patch(ME, json={"avatar_media_id": image}, headers=headers)
    cleared = client.patch(ME, json={"avatar_media_id": None}, headers=headers).json()
    assert (cleared["avatar_media_id"], cleared["avatar_url"]) == (None, None)


def test_an_avatar_is_one_of_ones_own_images(client: TestClient, app: FastAPI) -> None:
    member, headers = member_with_headers(app)
    other, _ = member_with_headers(app)
    for bad in (upload(app, member, kind=MediaKind.AUDIO), upload(app, other)):
        response = client.patch(ME, json={"avatar_media_id": bad}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "media_unavailable"
        assert response.json()["errors"][0]["loc"] == ["body", "avatar_media_id"]
    both = {"avatar_media_id": upload(app, member), "avatar_url": "https://img.example.com/a.png"}
    assert client.patch(ME, json=both, headers=headers).status_code == 422
    assert client.get(ME, headers=headers).json()["avatar_media_id"] is None


def test_an_avatar_is_seen_by_whoever_sees_the_profile(client: TestClient, app: FastAPI) -> None:
    member, headers = member_with_headers(app)
    reader, _ = member_with_headers(app)
    admin, admin_headers = member_with_headers(app, role=Role.ADMIN)
    image = upload(app, member)
    assert not visible(app, image, reader)
    client.patch(ME, json={"avatar_media_id": image}, headers=headers)
    assert visible(app, image, reader) and visible(app, image, None)
    deactivated = client.patch(
        f"/api/v1/members/{member.id}", json={"is_active": False}, headers=admin_headers
    )
    assert deactivated.status_code == 200, deactivated.text
    assert not visible(app, image, reader) and not visible(app, image, None)
    assert visible(app, image, admin)


# --- covers --------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["events", "challenges", "projects"])
def test_a_cover_is_one_of_the_callers_images(
    client: TestClient, app: FastAPI, resource: str
) -> None:
    staff, headers = member_with_headers(app, role=Role.ORGANIZER)
    other, _ = member_with_headers(app)
    cover = upload(app, staff)
    made = _create(client, resource, headers, cover_media_id=cover)
    assert made["cover"]["id"] == cover and made["cover"]["variants"]["thumb"] is not None
    assert media_row(app, cover).attached_at is not None
    path = f"/api/v1/{resource}/{made['id']}"
    listed = client.get(f"/api/v1/{resource}", params={"limit": 100}, headers=headers).json()
    assert [i["cover"]["id"] for i in listed["items"] if i["id"] == made["id"]] == [cover]
    assert client.get(path, headers=headers).json()["cover"]["id"] == cover
    for bad in (upload(app, other), upload(app, staff, kind=MediaKind.VIDEO), 999_999):
        response = client.patch(path, json={"cover_media_id": bad}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "media_unavailable"
        assert response.json()["errors"][0]["loc"] == ["body", "cover_media_id"]
    another = upload(app, staff)
    changed = client.patch(path, json={"cover_media_id": another}, headers=headers).json()
    assert changed["cover"]["id"] == another
    assert (
        client.patch(path, json={"cover_media_id": None}, headers=headers).json()["cover"] is None
    )


def _create(client: TestClient, resource: str, headers: Headers, **fields: Any) -> dict[str, Any]:
    if resource == "events":
        return create_event(client, headers, **fields)
    if resource == "challenges":
        return create_challenge(client, headers, **fields)
    return create_project(client, headers, **fields)


def test_covers_are_seen_by_whoever_sees_what_they_cover(client: TestClient, app: FastAPI) -> None:
    staff, headers = member_with_headers(app, role=Role.ORGANIZER)
    reader, _ = member_with_headers(app)
    covers = {name: upload(app, staff) for name in ("event", "draft_event", "challenge")}
    covers |= {name: upload(app, staff) for name in ("draft_challenge", "project")}
    create_event(client, headers, cover_media_id=covers["event"])
    create_event(client, headers, cover_media_id=covers["draft_event"], status="draft")
    create_challenge(client, headers, cover_media_id=covers["challenge"])
    create_challenge(client, headers, cover_media_id=covers["draft_challenge"], published=False)
    create_project(client, headers, cover_media_id=covers["project"])
    seen_by = {
        "event": (True, True),
        "draft_event": (False, False),
        "challenge": (True, True),
        "draft_challenge": (False, False),
        "project": (True, False),  # projects are for members
    }
    for name, (by_reader, by_anonymous) in seen_by.items():
        assert visible(app, covers[name], reader) is by_reader, name
        assert visible(app, covers[name], None) is by_anonymous, name
        assert visible(app, covers[name], staff), name


def test_a_series_shares_its_cover(client: TestClient, app: FastAPI) -> None:
    staff, headers = member_with_headers(app, role=Role.ORGANIZER)
    cover = upload(app, staff)
    repeat = {"frequency": "weekly", "interval": 1, "count": 3}
    first = create_event(client, headers, cover_media_id=cover, repeat=repeat)
    series = client.get(EVENTS, params={"series_id": first["id"]}, headers=headers).json()
    assert [e["cover"]["id"] for e in series["items"]] == [cover] * 3


def test_lists_of_covered_things_read_covers_in_one_query(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    staff, headers = member_with_headers(app, role=Role.ORGANIZER)
    for n in range(6):
        create_event(client, headers, title=f"Event {n}", cover_media_id=upload(app, staff))
        create_challenge(client, headers, title=f"C {n}", cover_media_id=upload(app, staff))
        create_project(client, headers, title=f"P {n}", cover_media_id=upload(app, staff))
    for path in (EVENTS, CHALLENGES, PROJECTS):
        counts = []
        for limit in (2, 6):
            queries.reset()
            items = client.get(path, params={"limit": limit}, headers=headers).json()["items"]
            assert all(item["cover"] is not None for item in items), path
            counts.append(queries.count)
        assert counts[0] == counts[1], path


# --- the media endpoints -------------------------------------------------------------------


def stored_image(app: FastAPI, owner: Member) -> int:
    """A ready image with its original and thumbnail in the media storage."""
    media_id = upload(app, owner)
    key = media_row(app, media_id).storage_key
    storage = open_storage(app.state.settings)
    for name, content_type in (("original", "image/jpeg"), ("thumb.webp", "image/webp")):
        with tempfile.NamedTemporaryFile(delete=False) as spooled:
            spooled.write(b"pixels of " + name.encode())
        storage.put_file(f"{key}/{name}", Path(spooled.name), content_type=content_type)
    return media_id


def test_attached_media_are_served_to_whoever_sees_what_shows_them(
    client: TestClient, app: FastAPI
) -> None:
    staff, staff_headers = member_with_headers(app, role=Role.ORGANIZER)
    author, headers = member_with_headers(app)
    _, reader = member_with_headers(app)
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}  # (from the reader, from anonymous)
    challenge = create_challenge(client, staff_headers, max_submissions_per_member=2)
    shown["work"], hidden["disqualified_work"] = (
        stored_image(app, author),
        stored_image(app, author),
    )
    submit(client, challenge["id"], headers, media_ids=[shown["work"]])
    dq = submit(
        client, challenge["id"], headers, title="Other", media_ids=[hidden["disqualified_work"]]
    )
    client.post(
        f"{SUBMISSIONS}/{dq['id']}/moderation", json={"action": "disqualify"}, headers=staff_headers
    )
    move_to(client, staff_headers, challenge["id"], "closed")
    shown["avatar"] = stored_image(app, author)
    client.patch(ME, json={"avatar_media_id": shown["avatar"]}, headers=headers)
    shown["event"], hidden["draft_event"] = stored_image(app, staff), stored_image(app, staff)
    create_event(client, staff_headers, cover_media_id=shown["event"])
    create_event(client, staff_headers, cover_media_id=hidden["draft_event"], status="draft")
    shown["challenge"] = stored_image(app, staff)
    hidden["draft_challenge"] = stored_image(app, staff)
    create_challenge(client, staff_headers, cover_media_id=shown["challenge"])
    create_challenge(
        client, staff_headers, cover_media_id=hidden["draft_challenge"], published=False
    )
    project_cover = stored_image(app, staff)
    create_project(client, staff_headers, cover_media_id=project_cover)
    for name, media_id in shown.items():
        for caller in (reader, {}):
            meta = client.get(f"/api/v1/media/{media_id}", headers=caller)
            assert meta.status_code == 200, (name, caller, meta.text)
            thumb = client.get(f"/api/v1/media/{media_id}/content?variant=thumb", headers=caller)
            assert (thumb.status_code, thumb.content) == (200, b"pixels of thumb.webp"), name
    for name, media_id in hidden.items():
        for caller in ({}, *((reader,) if name != "disqualified_work" else ())):
            meta = client.get(f"/api/v1/media/{media_id}", headers=caller)
            assert (meta.status_code, meta.json()["code"]) == (404, "media_not_found"), name
            content = client.get(f"/api/v1/media/{media_id}/content", headers=caller)
            assert content.status_code == 404, name
        assert client.get(f"/api/v1/media/{media_id}", headers=staff_headers).status_code == 200
    # A project's cover: every member, not anonymous visitors.
    assert client.get(f"/api/v1/media/{project_cover}/content", headers=reader).status_code == 200
    assert client.get(f"/api/v1/media/{project_cover}").status_code == 404


def test_a_deletion_racing_an_attach_waits_for_it_and_then_refuses(
    client: TestClient, app: FastAPI
) -> None:
    """The attach locks the upload; `DELETE /media/{id}`'s tombstone waits for the lock
    (PostgreSQL: the row; SQLite: the write lock), then sees the cover and keeps it."""
    staff, headers = member_with_headers(app, role=Role.ORGANIZER)
    event = create_event(client, headers)
    media_id = upload(app, staff)
    outcome: list[bool] = []

    def delete() -> None:
        with Session(app.state.engine) as session:
            outcome.append(media_service.tombstone(session, media_id=media_id))
            session.commit()

    with Session(app.state.engine) as session:
        attachments.attach(
            session,
            owner_id=staff.id,  # type: ignore[arg-type]
            media_ids=[media_id],
            field="cover_media_id",
            kinds=attachments.IMAGES,
            listed=False,
        )
        session.execute(
            sa.update(Event).where(col(Event.id) == event["id"]).values(cover_media_id=media_id)
        )
        deleting = threading.Thread(target=delete)
        deleting.start()
        deleting.join(0.5)
        assert deleting.is_alive()  # waiting for the attaching transaction
        session.commit()
    deleting.join(10)
    assert outcome == [False]
    assert media_row(app, media_id).deleted_at is None
    assert client.get(f"{EVENTS}/{event['id']}").json()["cover"]["id"] == media_id
