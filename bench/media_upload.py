"""Uploads and content through the real server (`python -m bench.media upload`).

One `sanggar serve` (1 worker) on a fresh SQLite database and a fresh media directory in
the benchmark's work directory, one member registered through the API:

- throughput: a 20 MiB file (an MP4: stored as sent, no processing) uploaded by three
  clients (a raw socket handing the file to the kernel with sendfile, so the client costs
  next to nothing, as a client on another machine would; httpx streaming the multipart body;
  curl), against a plain copy of the same file on the same disk (page cache only, and
  fsync'd as the file storage syncs a stored upload) and against two raw ASGI apps under the
  same uvicorn: one that only reads the body, one that hashes, writes and fsyncs it. Every
  round runs each once, in turn; ratios are the median of the per-round ratios;
- memory: the server's RSS (/proc/<pid>/status, sampled every 10 ms) while 8 clients upload
  25 MiB each at once, against its RSS when idle just before;
- serving: req/s of a thumbnail (`GET /api/v1/media/{id}/content?variant=thumb`) with wrk,
  against a bare FastAPI app answering constant JSON (bench.run's ceiling), alternately.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.core.migrations import upgrade
from bench.media import photo
from bench.run import BARE_APP, SANGGAR, _free_port, _wait_until_up, wrk

ROUNDS = int(os.environ.get("BENCH_MEDIA_ROUNDS", "5"))
UPLOAD_MIB = 20
CONCURRENT_CLIENTS = 8
CONCURRENT_MIB = 25
PASSWORD = "bench-password-long-enough-1"


def mp4_of(path: Path, mib: int) -> Path:
    """An MP4 (`ftyp` isom, a movie header) padded with an `mdat` box to `mib` MiB."""
    if path.exists() and path.stat().st_size == mib * 2**20:
        return path
    ftyp = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isommp41"
    header_size = len(ftyp) + 8
    with path.open("wb") as out:
        out.write(ftyp)
        out.write(struct.pack(">I", mib * 2**20 - len(ftyp)) + b"mdat")
        chunk = os.urandom(2**20)
        remaining = mib * 2**20 - header_size
        while remaining > 0:
            out.write(chunk[: min(remaining, len(chunk))])
            remaining -= min(remaining, len(chunk))
    return path


def _rss_mib(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def _server(
    command: list[str], env: dict[str, str], cwd: Path, log: Path, url: str
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=out)
    try:
        _wait_until_up(url)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)


def _env(workdir: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SANGGAR_DATABASE_URL": database_url,
        "SANGGAR_RATE_LIMIT_ENABLED": "false",
        "SANGGAR_LOG_LEVEL": "WARNING",
        "SANGGAR_SECRET_KEY": "bench-" + "k" * 64,
        "SANGGAR_MEDIA_STORAGE": f"file:{workdir / 'media'}",
        "SANGGAR_MEDIA_QUOTA_MB": "1000000",
    }


# The stack's own floor for an upload: a raw ASGI app under the same uvicorn (httptools) that
# hashes the body as it arrives, writes it to a file and fsyncs it, as the upload does,
# without multipart parsing, authentication, the database or the middleware.
BARE_UPLOAD_APP = """
import hashlib, os, tempfile

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    digest = hashlib.sha256()
    fd, path = tempfile.mkstemp(dir=os.environ["BENCH_SPOOL"])
    with os.fdopen(fd, "wb") as out:
        while True:
            message = await receive()
            body = message.get("body", b"")
            digest.update(body)
            out.write(body)
            if not message.get("more_body"):
                break
        out.flush()
        os.fsync(out.fileno())
    os.unlink(path)
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": digest.hexdigest().encode()})
"""


# Less than any upload: the same uvicorn reading the body and dropping it.
READ_ONLY_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""

_BOUNDARY = "bench-boundary-7MA4YWxkTrZu0gW"


def _member_token(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        registered = client.post(
            "/api/v1/auth/register",
            json={
                "email": "bench@example.com",
                "password": PASSWORD,
                "handle": "bench",
                "display_name": "Bench",
            },
        )
        registered.raise_for_status()
        token = client.post("/api/v1/auth/token", data={"username": "bench", "password": PASSWORD})
        token.raise_for_status()
        return str(token.json()["access_token"])


def _upload(
    base: str, token: str, path: Path, content_type: str, *, target: str = "/api/v1/media"
) -> dict[str, object]:
    with path.open("rb") as file, httpx.Client(base_url=base, timeout=300) as client:
        answer = client.post(
            target,
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (path.name, file, content_type)},
        )
    if answer.status_code != 201:
        raise RuntimeError(f"upload answered {answer.status_code}: {answer.text[:300]}")
    if target != "/api/v1/media":
        return {}
    body: dict[str, object] = answer.json()
    return body


def _synced_copy(source: Path, target: Path) -> None:
    """The plain copy, then its bytes and its directory entry synced, as the file storage
    syncs a stored upload."""
    shutil.copyfile(source, target)
    for path in (target, target.parent):
        handle = os.open(path, os.O_RDONLY)
        os.fsync(handle)
        os.close(handle)


def _sendfile_upload(base: str, token: str, path: Path, *, target: str) -> None:
    """One request on a fresh connection, the file handed to the kernel (sendfile)."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        "\r\nContent-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{_BOUNDARY}--\r\n".encode()
    request = (
        f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={_BOUNDARY}\r\n"
        f"Content-Length: {len(head) + path.stat().st_size + len(tail)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as connection, path.open("rb") as file:
        connection.sendall(request + head)
        connection.sendfile(file)
        connection.sendall(tail)
        answer = b""
        while piece := connection.recv(65536):
            answer += piece
    if not answer.startswith(b"HTTP/1.1 201"):
        raise RuntimeError(f"upload answered {answer[:300]!r}")


def _curl_upload(url: str, token: str, path: Path) -> None:
    subprocess.run(
        ["curl", "-sS", "-f", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}",
         "-F", f"file=@{path};type=video/mp4", url],
        check=True,
    )  # fmt: skip


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def throughput(base: str, bare_upload: str, read_only: str, token: str, workdir: Path) -> list[str]:
    source = mp4_of(workdir / "upload-20.mp4", UPLOAD_MIB)
    target = workdir / "copy.mp4"
    api = f"{base}/api/v1/media"

    def copy() -> None:
        shutil.copyfile(source, target)  # copy_file_range/sendfile: the kernel copies
        target.unlink()

    def synced_copy() -> None:
        _synced_copy(source, target)
        target.unlink()

    runs: dict[str, Callable[[], object]] = {
        "copy": copy,
        "synced copy": synced_copy,
        "read only": lambda: _sendfile_upload(read_only, token, source, target="/"),
        "bare": lambda: _sendfile_upload(bare_upload, token, source, target="/"),
        "sendfile": lambda: _sendfile_upload(base, token, source, target="/api/v1/media"),
        "httpx": lambda: _upload(base, token, source, "video/mp4"),
    }
    if shutil.which("curl") is not None:
        runs["curl"] = lambda: _curl_upload(api, token, source)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, action in runs.items():
            times[name].append(_timed(action))

    def rate(name: str) -> str:
        return f"{UPLOAD_MIB / statistics.median(times[name]):,.0f} MiB/s"

    def ratio(name: str, reference: str) -> str:
        """The median over rounds of (reference's time ÷ this one's): rates, same round."""
        pairs = zip(times[name], times[reference], strict=True)
        return f"{statistics.median(ref / mine for mine, ref in pairs):.0%}"

    label = f"upload of {UPLOAD_MIB} MiB ({ROUNDS} rounds, median)"
    references = {
        "copy": "plain copy, page cache (shutil.copyfile)",
        "synced copy": "plain copy + fsync (file and directory)",
        "read only": "raw ASGI app, same uvicorn, reading the body only",
        "bare": "raw ASGI app, same uvicorn, hashing, writing, fsyncing",
    }
    lines = [
        f"| {label}, sendfile client | {text} {rate(name)} | {rate('sendfile')} "
        f"| **{ratio('sendfile', name)}** |"
        for name, text in references.items()
    ]
    lines.append(
        f"| the raw app reading only, sendfile client | plain copy {rate('copy')} "
        f"| {rate('read only')} | {ratio('read only', 'copy')} |"
    )
    for client in ("httpx", "curl"):
        if client in times:
            lines += [
                f"| the same upload sent by {client} | {references[name]} {rate(name)} "
                f"| {rate(client)} | {ratio(client, name)} |"
                for name in ("copy", "synced copy")
            ]
    return lines


def memory(base: str, token: str, workdir: Path, pid: int) -> str:
    source = mp4_of(workdir / "upload-25.mp4", CONCURRENT_MIB)
    _upload(base, token, source, "video/mp4")  # warm: every code path imported once
    time.sleep(1)
    idle = _rss_mib(pid)
    peak = idle
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _rss_mib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    errors: list[str] = []

    def client() -> None:
        try:
            _upload(base, token, source, "video/mp4")
        except (RuntimeError, httpx.HTTPError) as error:
            errors.append(str(error))

    started = time.perf_counter()
    clients = [threading.Thread(target=client) for _ in range(CONCURRENT_CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    grew = peak - idle
    return (
        f"| server RSS while {CONCURRENT_CLIENTS} clients upload {CONCURRENT_MIB} MiB each at "
        f"once ({elapsed:.1f} s{', errors: ' + '; '.join(errors) if errors else ''}) "
        f"| idle {idle:.0f} MiB | peak {peak:.0f} MiB | **+{grew:.0f} MiB** (target < +100 MiB) |"
    )


def _ready_image(base: str, token: str, workdir: Path) -> int:
    image = photo(workdir / "serve.jpg", 1600, 1200)
    media = _upload(base, token, image, "image/jpeg")
    media_id = int(str(media["id"]))
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=base, timeout=30) as client:
        while time.monotonic() < deadline:
            got = client.get(
                f"/api/v1/media/{media_id}", headers={"Authorization": f"Bearer {token}"}
            ).json()
            if got["status"] == "ready":
                return media_id
            if got["status"] == "failed":
                raise RuntimeError(f"the image failed: {got['failure_reason']}")
            time.sleep(0.5)
    raise RuntimeError("the image was not processed within 2 minutes")


def serving(base: str, bare: str, token: str, workdir: Path, media_id: int) -> list[str]:
    """Thumbnail and metadata req/s, each run right after a run of the ceiling."""
    tokens = workdir / "tokens.txt"
    tokens.write_text(token + "\n")
    env = {"BENCH_TOKENS": str(tokens)}
    targets = {
        "thumbnail (GET /api/v1/media/{id}/content?variant=thumb)": (
            f"{base}/api/v1/media/{media_id}/content?variant=thumb"
        ),
        "its metadata (GET /api/v1/media/{id}), for comparison": (
            f"{base}/api/v1/media/{media_id}"
        ),
    }
    lines = []
    for label, url in targets.items():
        wrk(url, "get_auth.lua", connections=8, env=env, seconds=1)  # warm
        rates: list[tuple[float, float]] = []
        for _ in range(3):
            ceiling = wrk(f"{bare}/hello", "get_anon.lua", connections=64, env=env)
            loaded = wrk(url, "get_auth.lua", connections=64, env=env)
            if loaded["status_errors"] or loaded["socket_errors"]:
                raise RuntimeError(f"{label}: requests failed: {loaded}")
            rates.append(
                (
                    ceiling["requests"] * 1e6 / ceiling["duration_us"],
                    loaded["requests"] * 1e6 / loaded["duration_us"],
                )
            )
        lines.append(
            f"| {label}, 64 connections, 3 rounds, median "
            f"| constant JSON {statistics.median(rate[0] for rate in rates):,.0f} req/s "
            f"| {statistics.median(rate[1] for rate in rates):,.0f} req/s "
            f"| **{statistics.median(rate[1] / rate[0] for rate in rates):.1%}** of the ceiling |"
        )
    return lines


def run(workdir: Path) -> str:
    scratch = Path(tempfile.mkdtemp(prefix="media-upload-", dir=workdir))
    database_url = f"sqlite:///{scratch / 'bench.db'}"
    upgrade(database_url, "head")
    (scratch / "bare.py").write_text(BARE_APP)
    (scratch / "bare_upload.py").write_text(BARE_UPLOAD_APP)
    (scratch / "read_only.py").write_text(READ_ONLY_APP)
    (scratch / "spool").mkdir()
    port, bare_port, upload_port = _free_port(), _free_port(), _free_port()
    read_only_port = _free_port()
    read_only = f"http://127.0.0.1:{read_only_port}"
    base, bare = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    bare_upload = f"http://127.0.0.1:{upload_port}"
    upload_command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--log-level",
        "warning",
        "--no-access-log",
        "--http",
        "httptools",
        "--loop",
        "asyncio",  # as `sanggar serve` runs (app.cli)
        "bare_upload:app",
        "--port",
        str(upload_port),
    ]
    read_only_command = [*upload_command[:-3], "read_only:app", "--port", str(read_only_port)]
    bare_command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--log-level",
        "warning",
        "--no-access-log",
        "bare:app",
        "--port",
        str(bare_port),
    ]
    command = [SANGGAR, "serve", "--port", str(port)]
    lines = [
        "| measurement | reference | Sanggar | Sanggar ÷ reference |",
        "|---|---|---|---|",
    ]
    try:
        with (
            _server(command, _env(scratch, database_url), scratch, scratch / "app.log",
                    f"{base}/healthz") as server,
            _server(bare_command, dict(os.environ), scratch, scratch / "bare.log",
                    f"{bare}/hello"),
            _server(upload_command, {**os.environ, "BENCH_SPOOL": str(scratch / "spool")},
                    scratch, scratch / "bare_upload.log", bare_upload),
            _server(read_only_command, dict(os.environ), scratch, scratch / "read_only.log",
                    read_only),
        ):  # fmt: skip
            token = _member_token(base)
            lines += throughput(base, bare_upload, read_only, token, workdir)
            lines.append(memory(base, token, workdir, server.pid))
            try:
                media_id = _ready_image(base, token, workdir)
                lines += serving(base, bare, token, scratch, media_id)
            except RuntimeError as error:
                lines.append(f"| thumbnail serving | not measured: {error} | | |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return "\n".join(lines)
