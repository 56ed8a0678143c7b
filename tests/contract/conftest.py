"""What the generated-client and browser tests share: the tools they need, one npm install,
and one live `sanggar serve` on a free loopback port with its own SQLite database.

Under CI=true a missing tool (npm, Chromium) fails the test; on a machine without it the test
is skipped and says what to install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.core.migrations import PROJECT_ROOT
from tests.conftest import _free_port, is_postgres
from tests.factories import PASSWORD

TS_CLIENT = PROJECT_ROOT / "clients" / "typescript"
SANGGAR = str(Path(sys.executable).with_name("sanggar"))
# Debian's chromium; set CHROMIUM to use another build (never one a tool downloads).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ADMIN_EMAIL = "admin@example.com"
# Known to the tests, which sign tokens the server must take as its own (an expired one).
SECRET_KEY = "live-contract-test-key-" + "x" * 40


# These tests bring their own SQLite-backed server or read only the contract, so the
# PostgreSQL leg of `make test` would repeat them exactly: they run once, in the SQLite leg.
once = pytest.mark.skipif(is_postgres(), reason="database-independent: runs in the SQLite leg")


def require(path_or_name: str, *, install: str) -> str:
    """The tool's path; fails under CI (which must have it), skips elsewhere."""
    found = shutil.which(path_or_name)
    if found is None:
        message = f"{path_or_name} is not installed ({install})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must run this test", pytrace=False)
        pytest.skip(message)
    return found


def run(
    command: list[str], *, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs a tool and fails with its output when it exits non-zero."""
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"[-6000:])
    return result


@pytest.fixture(scope="session")
def npm_project() -> Path:
    """clients/typescript with its locked packages installed; `npm ci` only when the lock
    changed since the last install (node_modules is kept there, gitignored)."""
    npm = require("npm", install="apt-get install npm")
    lock = hashlib.sha256((TS_CLIENT / "package-lock.json").read_bytes()).hexdigest()
    stamp = TS_CLIENT / "node_modules" / ".installed-lock-sha256"
    if not stamp.exists() or stamp.read_text() != lock:
        run([npm, "ci", "--no-audit", "--no-fund"], cwd=TS_CLIENT)
        stamp.write_text(lock)
    return TS_CLIENT


@dataclass(frozen=True)
class LiveSanggar:
    url: str
    admin_email: str
    admin_password: str


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("sanggar serve did not start:\n" + log.read_text()[-3000:])


@pytest.fixture(scope="session")
def live_sanggar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSanggar]:
    """A real `sanggar serve` subprocess: migrated first, with a bootstrap admin."""
    home = tmp_path_factory.mktemp("live-sanggar")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SANGGAR_DATABASE_URL": f"sqlite:///{home / 'sanggar.db'}",
        "SANGGAR_SECRET_KEY": SECRET_KEY,
        "SANGGAR_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "SANGGAR_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD,
        "SANGGAR_RATE_LIMIT_ENABLED": "false",
        "SANGGAR_PASSWORD_HASH_MEMORY_KIB": "1024",
        "SANGGAR_PASSWORD_HASH_TIME_COST": "1",
        "SANGGAR_LOG_LEVEL": "WARNING",
    }
    subprocess.run([SANGGAR, "migrate"], env=env, cwd=home, check=True, capture_output=True)
    log = home / "serve.log"
    with log.open("wb") as output:  # the child keeps its own handle
        process = subprocess.Popen(
            [SANGGAR, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(url, process, log)
        yield LiveSanggar(url=url, admin_email=ADMIN_EMAIL, admin_password=PASSWORD)
    finally:
        process.terminate()
        process.wait(timeout=20)
