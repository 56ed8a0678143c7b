"""A member's uploads in progress are bounded (`SANGGAR_MEDIA_MAX_CONCURRENT_UPLOADS`), in
the database, so the bound holds across processes: one more is 429 `too_many_uploads`
before its body is read, and a slot left by a killed process lapses."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.db import read_only
from app.media import slots
from app.media.exceptions import TooManyUploads
from app.models import MediaUploadSlot
from tests.factories import member_with_headers
from tests.media import samples
from tests.media.helpers import upload

BOUNDARY = "sanggar-slots-boundary"


def _held(engine: Engine, member_id: int) -> int:
    with Session(read_only(engine)) as session:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(MediaUploadSlot)
            .where(MediaUploadSlot.member_id == member_id)  # type: ignore[arg-type]
        )
        return int(count or 0)


def _take(engine: Engine, member_id: int, *, now: datetime | None = None) -> slots.Slot:
    return slots.take(engine, member_id=member_id, limit=3, now=now or utcnow())


def test_uploads_in_progress_elsewhere_leave_no_place_for_one_more(
    client: TestClient, app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    member, headers = member_with_headers(app)
    assert member.id is not None
    # Three uploads of this member in progress, in this process or any other.
    taken = [_take(engine, member.id) for _ in range(3)]
    assert sorted(slot.number for slot in taken) == [0, 1, 2]

    refused = upload(client, headers, samples.png(tmp_path))
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "too_many_uploads"
    assert int(refused.headers["retry-after"]) > 0
    other, other_headers = member_with_headers(app)  # another member is not concerned
    assert upload(client, other_headers, samples.png(tmp_path)).status_code == 201

    with Session(engine) as session:
        slots.give_back(session, taken[1])
        session.commit()
    assert upload(client, headers, samples.png(tmp_path)).status_code == 201
    assert _held(engine, member.id) == 2  # the upload gave its slot back with its row
    assert _held(engine, other.id) == 0  # type: ignore[arg-type]


def test_a_refused_upload_gives_its_slot_back(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    member, headers = member_with_headers(app)
    files = {"file": ("x.bin", b"not a type anyone accepts" * 10, "application/octet-stream")}
    answer = client.post("/api/v1/media", headers=headers, files=files)
    assert answer.status_code == 415
    assert _held(engine, member.id) == 0  # type: ignore[arg-type]


def test_a_slot_left_by_a_killed_process_lapses(app: FastAPI, engine: Engine) -> None:
    member, _ = member_with_headers(app)
    assert member.id is not None
    long_ago = utcnow() - slots.SLOT_LEASE - timedelta(minutes=1)
    for _ in range(3):
        _take(engine, member.id, now=long_ago)  # never given back
    with pytest.raises(TooManyUploads):
        _take(engine, member.id, now=long_ago + timedelta(minutes=1))
    assert _take(engine, member.id).number == 0  # lapsed: taken again


def test_takers_at_once_get_no_more_slots_than_the_limit(app: FastAPI, engine: Engine) -> None:
    member, _ = member_with_headers(app)
    assert member.id is not None
    start = threading.Barrier(8)
    got: list[int] = []
    refused: list[int] = []

    def take() -> None:
        start.wait()
        try:
            got.append(_take(engine, member.id).number)  # type: ignore[arg-type]
        except TooManyUploads:
            refused.append(1)

    takers = [threading.Thread(target=take) for _ in range(8)]
    for taker in takers:
        taker.start()
    for taker in takers:
        taker.join(timeout=60)
    assert sorted(got) == [0, 1, 2]
    assert len(refused) == 5


def _open_upload(base_url: str, token: str, head: bytes) -> socket.socket:
    """An upload in progress: the request and the start of its file sent, the rest not."""
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname, url.port))
    start = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + head
    sock.sendall(
        (
            f"POST /api/v1/media HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        + b"%x\r\n%s\r\n" % (len(start), start)
    )
    return sock


def _finish_upload(sock: socket.socket) -> int:
    end = f"\r\n--{BOUNDARY}--\r\n".encode()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # answered already
        sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(end), end))
    sock.settimeout(30)
    received = b""
    while b"\r\n" not in received:
        piece = sock.recv(65536)
        assert piece, "no answer"
        received += piece
    return int(received.split(b"\r\n", 1)[0].split()[1])


@pytest.fixture
def opened() -> Iterator[list[socket.socket]]:
    socks: list[socket.socket] = []
    yield socks
    for sock in socks:
        sock.close()


def test_a_fourth_upload_while_three_stream_is_refused(
    app: FastAPI, live: str, engine: Engine, tmp_path: Path, opened: list[socket.socket]
) -> None:
    member, headers = member_with_headers(app)
    assert member.id is not None
    wav = samples.wav(tmp_path).read_bytes()
    for _ in range(3):
        opened.append(_open_upload(live, headers["Authorization"], wav))
    deadline = time.monotonic() + 10
    while _held(engine, member.id) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _held(engine, member.id) == 3

    fourth = _open_upload(live, headers["Authorization"], wav)
    opened.append(fourth)
    assert _finish_upload(fourth) == 429  # answered before its body was all sent
    assert _finish_upload(opened[0]) == 201
    fifth = _open_upload(live, headers["Authorization"], wav)
    opened.append(fifth)
    assert _finish_upload(fifth) == 201
