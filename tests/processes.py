"""Real processes for the reliability tests: `sanggar serve`, a private Redis, a private
PostgreSQL cluster. Each listens on a free port of its own and is stopped by the test."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

SANGGAR = str(Path(sys.executable).with_name("sanggar"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
TEST_SECRET = "test-secret-key-" + "x" * 64
# Never through a proxy from the environment: these servers are on this machine.
http = httpx.Client(trust_env=False, timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: object, *, what: str, seconds: float = 30) -> None:
    """Polls `check()` until it is true: waiting for a process, never a timing assertion."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not happen within {seconds} s")


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SANGGAR_DATABASE_URL": database_url,
        "SANGGAR_SECRET_KEY": TEST_SECRET,
        "SANGGAR_PASSWORD_HASH_MEMORY_KIB": "1024",
        "SANGGAR_PASSWORD_HASH_TIME_COST": "1",
        "SANGGAR_PERIODIC_JOBS_ENABLED": "false",
        "SANGGAR_LOG_JSON": "true",
    }
    env.update({f"SANGGAR_{name.upper()}": value for name, value in settings.items()})
    return env


class Server:
    """One `sanggar serve` process; its log (stderr and stdout) is kept in a file."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [SANGGAR, "serve", "--port", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=log_dir,
        )
        try:
            wait_until(self._healthy, what=f"server on {self.port} answering /healthz", seconds=60)
        except BaseException:
            self.stop()
            raise

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"server exited: {self.log()}")
        return http.get(self.url + "/healthz", timeout=1).status_code == 200

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@contextmanager
def servers(env: dict[str, str], log_dir: Path, count: int = 1) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for _ in range(count):
            started.append(Server(env, log_dir))
        yield started
    finally:
        for server in started:
            server.stop()


class Redis:
    """A throw-away redis-server on its own port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, what=f"redis on {self.port}")

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


class PostgresCluster:
    """A private PostgreSQL cluster (initdb into a temporary directory, run as `postgres`
    since initdb refuses root) that a test may stop and start without disturbing anyone."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="sanggar-pg-"))
        self.data = self.directory / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def postgres_binaries_available() -> bool:
    return (PG_BIN / "initdb").exists() and (
        os.geteuid() != 0 or shutil.which("runuser") is not None
    )
