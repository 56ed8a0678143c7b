"""`sanggar serve` bounds what a client may take to send a request, in size and in time: a
huge header, an endless request target, headers or a body sent slowly (or not at all) are
answered with a problem and the connection closed, within the bound. Against a real
`sanggar serve` process, through raw sockets."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.processes import Server, server_env

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
SLACK = 4.0  # a loaded machine's scheduling, on top of the bound


@pytest.fixture(scope="module")
def server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, engine: Engine
) -> Iterator[Server]:
    env = server_env(
        database_url,
        header_timeout_seconds=str(HEADER_TIMEOUT),
        body_timeout_seconds=str(BODY_TIMEOUT),
        max_header_bytes="16384",
        max_url_bytes="4096",
        rate_limit_enabled="false",
    )
    started = Server(env, tmp_path_factory.mktemp("slow-clients"))
    yield started
    started.stop()


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=HEADER_TIMEOUT + SLACK)


def _answer(connection: socket.socket) -> tuple[int, dict[str, str], bytes, float]:
    """Reads until the server closes the connection: status, headers, body, seconds taken."""
    started = time.monotonic()
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    elapsed = time.monotonic() - started
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines if ": " in line)
    return int(status_line.split()[1]), headers, body, elapsed


def _one_response(connection: socket.socket) -> bytes:
    """One whole answer on a connection that stays open (its body by Content-Length)."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(
        next(
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ).split(b":")[1]
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def _problem(headers: dict[str, str], body: bytes) -> dict[str, object]:
    assert headers["content-type"] == "application/problem+json"
    problem: dict[str, object] = json.loads(body)
    return problem


def test_a_huge_header_is_431_and_the_connection_closed(server: Server) -> None:
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: sanggar\r\nX-Big: ")
        try:
            for _ in range(64):  # up to 4 MiB; the server stops reading long before
                connection.sendall(b"a" * 65536)
            connection.sendall(b"\r\n\r\n")
        except OSError:
            pass  # closed under our feet: what we want
        status, headers, body, _ = _answer(connection)
    assert status == 431
    assert _problem(headers, body)["code"] == "headers_too_large"


def test_many_small_headers_count_together(server: Server) -> None:
    many = b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 100) for n in range(400))
    with _connect(server) as connection:
        with contextlib.suppress(OSError):
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: sanggar\r\n" + many + b"\r\n")
        status, headers, body, _ = _answer(connection)
    assert (status, _problem(headers, body)["code"]) == (431, "headers_too_large")


def test_a_request_target_over_the_limit_is_a_414_problem(server: Server) -> None:
    target = b"/api/v1/members?q=" + b"a" * 5000
    with _connect(server) as connection:
        with contextlib.suppress(OSError):
            connection.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: sanggar\r\n\r\n")
        status, headers, body, _ = _answer(connection)
    assert status == 414
    problem = _problem(headers, body)
    assert problem["code"] == "uri_too_long"
    assert problem["type"] == "/problems/uri_too_long"
    # Answered before there is a request to read a language from: the server's default (id).
    assert problem["detail"] == "Target permintaan lebih panjang dari 4096 byte."


@pytest.mark.parametrize(
    "start",
    [b"", b"GET /healthz HTTP/1.1\r\n", b"GET /healthz HTTP/1.1\r\nHost: sanggar\r\nX-Slow: a"],
    ids=["nothing", "request line only", "half a header"],
)
def test_headers_that_do_not_arrive_in_time_are_408(server: Server, start: bytes) -> None:
    with _connect(server) as connection:
        connection.sendall(start)
        status, headers, body, elapsed = _answer(connection)
    assert (status, _problem(headers, body)["code"]) == (408, "request_timeout")
    assert elapsed < HEADER_TIMEOUT + SLACK


def test_headers_trickled_a_byte_at_a_time_are_cut_off_at_the_bound(server: Server) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: sanggar\r\n" + b"X-Drip: " + b"a" * 100
    with _connect(server) as connection:
        started = time.monotonic()
        try:
            for byte in request:
                connection.sendall(bytes([byte]))
                time.sleep(0.05)
                if time.monotonic() - started > HEADER_TIMEOUT + SLACK:
                    break
        except OSError:
            pass
        status, headers, body, _ = _answer(connection)
    assert (status, _problem(headers, body)["code"]) == (408, "request_timeout")
    assert time.monotonic() - started < HEADER_TIMEOUT + SLACK


def test_a_body_that_stalls_is_408_and_the_connection_closed(server: Server) -> None:
    with _connect(server) as connection:
        connection.sendall(
            b"POST /api/v1/auth/token HTTP/1.1\r\nHost: sanggar\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
            b"username=a"
        )
        status, headers, body, elapsed = _answer(connection)
    assert (status, _problem(headers, body)["code"]) == (408, "request_timeout")
    assert elapsed < BODY_TIMEOUT + SLACK


def test_a_prompt_request_on_a_kept_alive_connection_is_served(server: Server) -> None:
    """The bounds are per request: a client that keeps its connection open between two prompt
    requests is not cut off."""
    with _connect(server) as connection:
        for _ in range(2):
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: sanggar\r\n\r\n")
            reply = _one_response(connection)
            assert reply.startswith(b"HTTP/1.1 200"), reply
            time.sleep(HEADER_TIMEOUT / 2)


def test_the_server_is_still_well(server: Server, tmp_path: Path) -> None:
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: sanggar\r\nConnection: close\r\n\r\n")
        status, _, _, _ = _answer(connection)
    assert status == 200
    assert "Traceback" not in server.log()
