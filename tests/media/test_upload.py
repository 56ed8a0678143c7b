"""Uploads stream: refused while the body is still arriving, never held whole in memory,
and the body limit of every other endpoint unchanged. Through a real server (`live`): the
TestClient reads a request's whole body before the app sees it."""

from __future__ import annotations

import select
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.jsonutil import loads
from app.main import create_app
from app.media import service
from app.media.exceptions import MediaQuotaExceeded
from app.media.storage import open_storage
from app.models import Media, MediaUsage
from tests.factories import member_with_headers
from tests.media import samples
from tests.media.helpers import live_bytes, usage

BOUNDARY = "sanggar-test-boundary"
MIB = 1024 * 1024
CHUNK = 64 * 1024


def _multipart(head: bytes, filler: int) -> Iterator[bytes]:
    """A multipart body whose file is `head` and then `filler` zero bytes, made lazily."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    yield head
    zeros = bytes(CHUNK)
    left = filler
    while left > 0:
        piece = zeros if left >= CHUNK else zeros[:left]
        left -= len(piece)
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


class Answer:
    def __init__(self, status: int, body: bytes, sent: int) -> None:
        self.status = status
        self.body = body
        self.sent = sent

    @property
    def code(self) -> str:
        return str(loads(self.body).get("code"))


def _post(
    base_url: str, token: str, parts: Iterator[bytes], *, content_length: int | None = None
) -> Answer:
    """POSTs the pieces chunked (or with the declared length), stopping as soon as an
    answer arrives; returns it with the bytes sent."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        framing = (
            f"Content-Length: {content_length}"
            if content_length is not None
            else "Transfer-Encoding: chunked"
        )
        sock.sendall(
            (
                f"POST /api/v1/media HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Authorization: {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
            ).encode()
        )
        sent = 0
        finished = True
        for part in parts:
            if select.select([sock], [], [], 0)[0]:
                finished = False
                break
            data = part if content_length is not None else b"%x\r\n%s\r\n" % (len(part), part)
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                finished = False
                break
            sent += len(part)
        if finished and content_length is None:
            sock.sendall(b"0\r\n\r\n")
        return _read_answer(sock, sent)


def _read_answer(sock: socket.socket, sent: int) -> Answer:
    sock.settimeout(30)
    received = b""
    while b"\r\n\r\n" not in received:
        piece = sock.recv(65536)
        assert piece, f"no answer (sent {sent} bytes)"
        received += piece
    head, body = received.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return Answer(status, body, sent)


def _spool(app: FastAPI) -> list[Path]:
    return list(open_storage(app.state.settings).spool_dir.iterdir())


def test_an_upload_over_its_limit_is_refused_while_it_streams(
    app: FastAPI, live: str, tmp_path: Path
) -> None:
    _, headers = member_with_headers(app)
    limit = app.state.settings.media_image_max_mb * MIB
    head = samples.png(tmp_path).read_bytes()
    answer = _post(live, headers["Authorization"], _multipart(head, 2 * 1024 * MIB))  # 2 GiB
    assert answer.status == 413
    assert answer.code == "media_too_large"
    # Refused just after the limit: nowhere near the 2 GiB offered.
    assert limit < answer.sent < limit + 16 * MIB
    assert _spool(app) == []


def test_a_declared_length_over_the_largest_limit_is_refused_before_reading(
    app: FastAPI, live: str
) -> None:
    _, headers = member_with_headers(app)
    answer = _post(
        live, headers["Authorization"], iter([b"x" * CHUNK]), content_length=2 * 1024 * MIB
    )
    assert answer.status == 413
    assert answer.code == "body_too_large"
    assert answer.sent <= CHUNK


def test_an_unknown_type_stops_the_reading_at_once(app: FastAPI, live: str) -> None:
    _, headers = member_with_headers(app)
    answer = _post(live, headers["Authorization"], _multipart(b"<svg xmlns=", 200 * MIB))
    assert answer.status == 415
    assert answer.code == "unsupported_media_type"
    assert answer.sent < 16 * MIB
    assert _spool(app) == []


def test_memory_does_not_grow_with_the_upload(
    app: FastAPI, live: str, engine: Engine, tmp_path: Path
) -> None:
    member, headers = member_with_headers(app)
    wav = samples.wav(tmp_path).read_bytes()
    size = 20 * MIB
    tracemalloc.start()
    try:
        answer = _post(live, headers["Authorization"], _multipart(wav, size - len(wav)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 201, answer.body
    created = loads(answer.body)
    assert created["bytes"] == size
    assert created["kind"] == "audio"
    # The server and this client in one process: a few chunks at a time, never the file.
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert usage(engine, member.id) == live_bytes(engine, member.id) == size  # type: ignore[arg-type]


def test_two_uploads_at_once_cannot_both_pass_the_quota(app: FastAPI, engine: Engine) -> None:
    """The reservation is one conditional statement: on PostgreSQL the second waits for the
    first's row lock and re-checks; on SQLite writes run one at a time."""
    member, _ = member_with_headers(app)
    assert member.id is not None
    quota = MIB
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def reserve() -> None:
        with Session(engine) as session:
            start.wait()
            try:
                service.reserve(session, member_id=member.id, size=600_000, quota=quota)  # type: ignore[arg-type]
                session.commit()
                outcomes.append("kept")
            except MediaQuotaExceeded:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=reserve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["kept", "refused"]
    with Session(engine) as session:
        tally = session.get(MediaUsage, member.id)
        assert tally is not None and tally.bytes == 600_000
        assert session.get(Media, 1) is None


@pytest.mark.parametrize("limit_bytes", [1024 * 1024 + 1])
def test_the_1_mib_limit_holds_for_other_posts(app: FastAPI, live: str, limit_bytes: int) -> None:
    _, headers = member_with_headers(app)
    url = urlsplit(live)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(
            (
                f"POST /api/v1/media/1 HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Authorization: {headers['Authorization']}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {limit_bytes}\r\n\r\n"
            ).encode()
        )
        answer = _read_answer(sock, 0)
    assert answer.status == 413


def _serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def impatient(app: FastAPI, engine: Engine) -> Iterator[tuple[FastAPI, str]]:
    """A server whose body timeout is two seconds."""
    quick = create_app(app.state.settings.model_copy(update={"body_timeout_seconds": 2.0}))
    server, thread, url = _serve(quick)
    yield quick, url
    server.should_exit = True
    thread.join(timeout=5)
    quick.state.engine.dispose()


def test_a_slow_upload_that_keeps_coming_is_served_and_a_stalled_one_is_408(
    app: FastAPI, impatient: tuple[FastAPI, str], tmp_path: Path
) -> None:
    quick, url = impatient
    _, headers = member_with_headers(app)
    quick.state.principal_cache.clear()
    wav = samples.wav(tmp_path).read_bytes()
    # Four seconds in all, longer than the body timeout, but never long without data.
    steady = _post(url, headers["Authorization"], _small_pieces(wav, pieces=10, pause=0.4))
    assert steady.status == 201, steady.body
    stalled = _post(url, headers["Authorization"], _small_pieces(wav, pieces=2, pause=4.0))
    assert stalled.status == 408
    assert stalled.code == "request_timeout"
    assert _spool(quick) == []


def _small_pieces(head: bytes, *, pieces: int, pause: float) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    yield head
    for _ in range(pieces):
        time.sleep(pause)
        yield bytes(16 * 1024)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_two_uploads_at_once_through_the_api_keep_one(
    app: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    tight = create_app(app.state.settings.model_copy(update={"media_quota_mb": 1}))
    server, thread, url = _serve(tight)
    try:
        member, headers = member_with_headers(app)
        body = samples.pdf(tmp_path).read_bytes() + b"%" * 600_000
        start = threading.Barrier(2)
        statuses: list[int] = []

        def send() -> None:
            start.wait()
            answer = httpx.post(
                url + "/api/v1/media",
                headers=headers,
                files={"file": ("a.pdf", body, "application/pdf")},
                timeout=60,
            )
            statuses.append(answer.status_code)

        senders = [threading.Thread(target=send) for _ in range(2)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=60)
        assert sorted(statuses) == [201, 409]
        assert usage(engine, member.id) == live_bytes(engine, member.id) == len(body)  # type: ignore[arg-type]
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        tight.state.engine.dispose()
