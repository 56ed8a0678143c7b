"""The media endpoints through the app: upload, metadata, content, the library, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.media import access
from app.models import Media, Member
from tests.factories import member_with_headers
from tests.media import samples
from tests.media.helpers import live_bytes, process, upload, usage


@pytest.fixture
def owner(app: FastAPI, client: TestClient) -> tuple[Member, dict[str, str]]:
    return member_with_headers(app)


def test_an_image_upload_is_processing_then_ready_without_its_location(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    owner: tuple[Member, dict[str, str]],
    tmp_path: Path,
) -> None:
    member, headers = owner
    photo = samples.jpeg_with_gps(tmp_path, size=(900, 600))
    answer = upload(client, headers, photo, alt_text="Pasar pagi")
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["location"] == f"/api/v1/media/{created['id']}"
    assert created["kind"] == "image"
    assert created["content_type"] == "image/jpeg"
    assert created["status"] == "processing"
    assert created["alt_text"] == "Pasar pagi"
    assert created["variants"] is None
    content = client.get(created["url"], headers=headers)
    assert content.status_code == 409
    assert content.json()["code"] == "media_not_ready"

    assert process(app) == 1
    shown = client.get(f"/api/v1/media/{created['id']}", headers=headers).json()
    assert shown["status"] == "ready"
    # Orientation 6 turns the 900 × 600 picture upright: 600 wide, 900 high.
    assert (shown["width"], shown["height"]) == (600, 900)
    assert shown["blurhash"]
    assert shown["variants"]["large"]["width"] == 600  # never upscaled
    assert shown["variants"]["thumb"]["height"] == 320
    for url in [shown["url"], *(v["url"] for v in shown["variants"].values())]:
        served = client.get(url, headers=headers)
        assert served.status_code == 200, url
        assert served.headers["x-content-type-options"] == "nosniff"
        served_file = tmp_path / "served"
        served_file.write_bytes(served.content)
        assert not samples.has_location(served_file), url
        assert samples.metadata_keys(served_file) == set(), url
    assert (
        client.get(shown["variants"]["thumb"]["url"], headers=headers).headers["content-type"]
        == "image/webp"
    )
    assert usage(engine, member.id) == live_bytes(engine, member.id) == shown["bytes"]  # type: ignore[arg-type]


def test_audio_video_and_pdf_are_ready_at_once(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    for make, kind, content_type in [
        (samples.wav, "audio", "audio/wav"),
        (samples.mp4, "video", "video/mp4"),
        (samples.pdf, "document", "application/pdf"),
    ]:
        answer = upload(client, headers, make(tmp_path))
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert (body["kind"], body["status"]) == (kind, "ready")
        assert body["content_type"].startswith(content_type.split("/")[0])
        served = client.get(body["url"], headers=headers)
        assert served.status_code == 200
        assert served.headers["content-type"] == body["content_type"]
    wav = upload(client, headers, samples.wav(tmp_path)).json()
    assert wav["duration_s"] == pytest.approx(samples.DURATION_S, abs=0.05)
    pdf = upload(client, headers, samples.pdf(tmp_path)).json()
    assert (
        client.get(pdf["url"], headers=headers)
        .headers["content-disposition"]
        .startswith("attachment")
    )


@pytest.mark.parametrize(
    ("make", "filename", "claimed"),
    [
        (samples.svg, "picture.png", "image/png"),
        (samples.text, "photo.jpg", "image/jpeg"),
        (samples.zip_file, "song.mp3", "audio/mpeg"),
    ],
)
def test_the_type_comes_from_the_bytes_not_the_name_or_header(
    client: TestClient,
    engine: Engine,
    owner: tuple[Member, dict[str, str]],
    tmp_path: Path,
    make: object,
    filename: str,
    claimed: str,
) -> None:
    member, headers = owner
    path = make(tmp_path)  # type: ignore[operator]
    answer = upload(client, headers, path, filename=filename, content_type=claimed)
    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"
    assert usage(engine, member.id) == 0  # type: ignore[arg-type]
    assert _spooled(client.app) == []  # type: ignore[arg-type]


def _spooled(app: FastAPI) -> list[Path]:
    from app.media.storage import open_storage

    return list(open_storage(app.state.settings).spool_dir.iterdir())


def test_a_jpeg_named_like_text_is_accepted(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    answer = upload(
        client, headers, samples.jpeg(tmp_path), filename="notes.txt", content_type="text/plain"
    )
    assert answer.status_code == 201
    assert answer.json()["content_type"] == "image/jpeg"


def test_a_decompression_bomb_is_refused_by_its_header(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    answer = upload(client, headers, samples.png_bomb(tmp_path))
    assert answer.status_code == 413
    assert answer.json()["code"] == "media_too_large"
    assert _spooled(client.app) == []  # type: ignore[arg-type]


def test_a_file_over_its_kind_limit_is_413(
    app: FastAPI, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    from app.main import create_app

    small = create_app(app.state.settings.model_copy(update={"media_image_max_mb": 1}))
    big = tmp_path / "big.png"
    big.write_bytes(samples.png(tmp_path).read_bytes() + b"\0" * (2 * 1024 * 1024))
    with TestClient(small) as client:
        answer = upload(client, owner[1], big)
        assert answer.status_code == 413
        assert answer.json()["code"] == "media_too_large"
    small.state.engine.dispose()


def test_refusals_of_the_form(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    png = samples.png(tmp_path).read_bytes()
    no_file = client.post("/api/v1/media", headers=headers, data={"alt_text": "x"})
    assert no_file.status_code == 422
    other = client.post(
        "/api/v1/media", headers=headers, files={"file": ("a.png", png), "extra": ("b", b"1")}
    )
    assert other.status_code == 422
    json_body = client.post("/api/v1/media", headers=headers, json={"file": "x"})
    assert json_body.status_code == 422
    too_long = client.post(
        "/api/v1/media",
        headers=headers,
        files={"file": ("a.png", png)},
        data={"alt_text": "x" * 1001},
    )
    assert too_long.status_code == 422
    broken = client.post(
        "/api/v1/media",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
    )
    assert broken.status_code in (400, 415)
    anonymous = client.post("/api/v1/media", files={"file": ("a.png", png)})
    assert anonymous.status_code == 401


def test_a_truncated_image_is_unreadable(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    answer = upload(client, owner[1], samples.truncated_jpeg(tmp_path))
    # Its header is whole: it is refused when processing fails, or at once.
    assert answer.status_code in (201, 422), answer.text


def test_quota_is_409_and_deleting_gives_bytes_back(
    app: FastAPI, engine: Engine, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    from app.main import create_app

    member, headers = owner
    tight = create_app(app.state.settings.model_copy(update={"media_quota_mb": 1}))
    filler = tmp_path / "filler.pdf"
    filler.write_bytes(samples.pdf(tmp_path).read_bytes() + b"%" * 700_000)
    with TestClient(tight) as client:
        first = upload(client, headers, filler)
        assert first.status_code == 201
        second = upload(client, headers, filler)
        assert second.status_code == 409
        assert second.json()["code"] == "media_quota_exceeded"
        assert usage(engine, member.id) == first.json()["bytes"]  # type: ignore[arg-type]
        assert (
            client.delete(f"/api/v1/media/{first.json()['id']}", headers=headers).status_code == 204
        )
        assert usage(engine, member.id) == 0  # type: ignore[arg-type]
        assert upload(client, headers, filler).status_code == 201
        assert usage(engine, member.id) == live_bytes(engine, member.id)  # type: ignore[arg-type]
    tight.state.engine.dispose()


@pytest.fixture
def shown_to_everyone() -> Iterator[set[int]]:
    """A check registered as an attaching feature would: media ids in the set are public."""
    public: set[int] = set()

    def check(_session: Session, media_id: int, _viewer: Member | None) -> bool:
        return media_id in public

    access.register(check)
    yield public
    access.unregister(check)


def test_someone_elses_media_is_404_until_a_check_shows_it(
    app: FastAPI,
    client: TestClient,
    owner: tuple[Member, dict[str, str]],
    tmp_path: Path,
    shown_to_everyone: set[int],
) -> None:
    _, headers = owner
    _, stranger = member_with_headers(app)
    media = upload(client, headers, samples.pdf(tmp_path)).json()
    for caller in (stranger, {}):
        for path in (f"/api/v1/media/{media['id']}", media["url"]):
            answer = client.get(path, headers=caller)
            assert answer.status_code == 404
            assert answer.json()["code"] == "media_not_found"
    assert client.delete(f"/api/v1/media/{media['id']}", headers=stranger).status_code == 404
    shown_to_everyone.add(media["id"])
    assert client.get(f"/api/v1/media/{media['id']}", headers=stranger).status_code == 200
    anonymous = client.get(media["url"])
    assert anonymous.status_code == 200
    assert anonymous.headers["cache-control"].startswith("public")
    assert client.delete(f"/api/v1/media/{media['id']}", headers=stranger).status_code == 404
    listed = client.get("/api/v1/members/me/media", headers=stranger).json()
    assert listed["items"] == []


def test_range_requests(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    wav = samples.wav(tmp_path)
    whole = wav.read_bytes()
    media = upload(client, headers, wav).json()
    full = client.get(media["url"], headers=headers)
    assert full.content == whole
    assert full.headers["accept-ranges"] == "bytes"
    part = client.get(media["url"], headers={**headers, "Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    tail = client.get(media["url"], headers={**headers, "Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == whole[-5:]
    beyond = client.get(media["url"], headers={**headers, "Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(whole)}"
    assert beyond.json()["code"] == "range_not_satisfiable"
    odd = client.get(media["url"], headers={**headers, "Range": "bytes=1-2,5-6"})
    assert odd.status_code == 200  # several ranges: the whole file
    again = client.get(media["url"], headers={**headers, "If-None-Match": full.headers["etag"]})
    assert again.status_code == 304


def test_variants_of_non_images_and_unknown_variants(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    media = upload(client, headers, samples.wav(tmp_path)).json()
    answer = client.get(media["url"] + "?variant=thumb", headers=headers)
    assert answer.status_code == 404
    assert answer.json()["code"] == "media_variant_not_found"
    assert client.get(media["url"] + "?variant=huge", headers=headers).status_code == 422


def test_my_media_newest_first_with_filters_and_cursor(
    app: FastAPI, client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    ids = [upload(client, headers, samples.wav(tmp_path)).json()["id"] for _ in range(3)]
    image = upload(client, headers, samples.png(tmp_path)).json()["id"]
    first = client.get("/api/v1/members/me/media?limit=2", headers=headers).json()
    assert [m["id"] for m in first["items"]] == [image, ids[2]]
    rest = client.get(
        f"/api/v1/members/me/media?limit=2&cursor={first['next_cursor']}", headers=headers
    ).json()
    assert [m["id"] for m in rest["items"]] == [ids[1], ids[0]]
    assert rest["next_cursor"] is None
    images = client.get("/api/v1/members/me/media?kind=image", headers=headers).json()
    assert [m["id"] for m in images["items"]] == [image]
    waiting = client.get("/api/v1/members/me/media?status=processing", headers=headers).json()
    assert [m["id"] for m in waiting["items"]] == [image]
    assert client.get("/api/v1/members/me/media").status_code == 401


def test_get_has_an_etag(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    media = upload(client, headers, samples.pdf(tmp_path)).json()
    first = client.get(f"/api/v1/media/{media['id']}", headers=headers)
    again = client.get(
        f"/api/v1/media/{media['id']}", headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_deleting_media_in_use_is_409(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    owner: tuple[Member, dict[str, str]],
    tmp_path: Path,
) -> None:
    from app.principal.changes import principals_changed

    member, headers = owner
    media = upload(client, headers, samples.png(tmp_path)).json()
    with Session(engine) as session:
        stored = session.get(Member, member.id)
        assert stored is not None
        stored.avatar_media_id = media["id"]
        principals_changed(session, member_ids=[member.id])  # type: ignore[list-item]
        session.commit()
    answer = client.delete(f"/api/v1/media/{media['id']}", headers=headers)
    assert answer.status_code == 409
    assert answer.json()["code"] == "media_in_use"
    with Session(engine) as session:
        row = session.get(Media, media["id"])
        assert row is not None and row.deleted_at is None
    gone = client.get(f"/api/v1/media/{media['id'] + 1000}", headers=headers)
    assert gone.status_code == 404


def test_deleted_media_leaves_the_api(
    client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    media = upload(client, headers, samples.pdf(tmp_path)).json()
    assert client.delete(f"/api/v1/media/{media['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/media/{media['id']}", headers=headers).status_code == 404
    assert client.get(media["url"], headers=headers).status_code == 404
    assert client.delete(f"/api/v1/media/{media['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/members/me/media", headers=headers).json()["items"] == []


def test_other_endpoints_keep_the_1_mib_body_limit(
    client: TestClient, owner: tuple[Member, dict[str, str]]
) -> None:
    _, headers = owner
    answer = client.patch(
        "/api/v1/members/me", headers=headers, json={"bio": "x" * (1024 * 1024 + 10)}
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"


def test_the_contract_declares_a_file_upload(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/api/v1/media"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"] == {**schema["properties"]["file"], "format": "binary"}
    assert "alt_text" in schema["properties"]
    assert {"201", "409", "413", "415"} <= set(operation["responses"])


@pytest.mark.parametrize(
    "body",
    [
        b'--b\r\nContent-Disposition: form-data; name="alt_text"\r\n\r\n\xff\xfe\r\n--b--\r\n',
        b'--b\r\nContent-Disposition: form-data; name="alt_text"\r\n\r\na\x00b\r\n--b--\r\n',
        b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n\x89PNG\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n\x89PNG\r\n--b--\r\n',
        b"--b\r\nContent-Disposition: attachment\r\n\r\nx\r\n--b--\r\n",
        b"--b--\r\n",
        b"",
        b"garbage without a boundary",
        b"--b\r\n" + b"X-Header: " + b"y" * 10_000 + b"\r\n\r\n",
    ],
)
def test_odd_multipart_bodies_are_refused_without_a_trace(
    client: TestClient, owner: tuple[Member, dict[str, str]], body: bytes
) -> None:
    _, headers = owner
    answer = client.post(
        "/api/v1/media",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
        content=body,
    )
    assert answer.status_code in (400, 415, 422), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert _spooled(client.app) == []  # type: ignore[arg-type]


def test_heic_is_served_as_jpeg(
    app: FastAPI, client: TestClient, owner: tuple[Member, dict[str, str]], tmp_path: Path
) -> None:
    _, headers = owner
    created = upload(client, headers, samples.heic(tmp_path)).json()
    assert created["kind"] == "image"
    assert process(app) == 1
    shown = client.get(f"/api/v1/media/{created['id']}", headers=headers).json()
    assert (shown["status"], shown["content_type"]) == ("ready", "image/jpeg")
    served = client.get(shown["url"], headers=headers)
    assert served.headers["content-type"] == "image/jpeg"
    assert served.content[:3] == b"\xff\xd8\xff"


def test_a_storage_failure_is_503_and_keeps_nothing(
    client: TestClient,
    engine: Engine,
    owner: tuple[Member, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.media import uploading

    member, headers = owner

    def unreachable(*_args: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(uploading, "_put", unreachable)
    answer = upload(client, headers, samples.pdf(tmp_path))
    assert answer.status_code == 503
    assert answer.json()["code"] == "media_storage_unavailable"
    assert answer.headers["retry-after"] == "5"
    assert usage(engine, member.id) == 0  # type: ignore[arg-type]
    assert client.get("/api/v1/members/me/media", headers=headers).json()["items"] == []
    assert _spooled(client.app) == []  # type: ignore[arg-type]


def test_a_full_spool_disk_is_503(
    client: TestClient,
    owner: tuple[Member, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tempfile

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    answer = upload(client, owner[1], samples.pdf(tmp_path))
    assert answer.status_code == 503
    assert answer.json()["code"] == "media_storage_unavailable"
