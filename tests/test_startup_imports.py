"""A worker starts without the libraries app/core keeps PyJWT and structlog from loading
(megabytes of resident memory each; bench/MEMORY.md)."""

import subprocess
import sys
from pathlib import Path

NEVER_AT_START_UP = ("cryptography", "rich.traceback", "rich.pretty", "PIL", "jinja2")

PROBE = f"""
import sys
from app.main import create_app
from app.core.config import Settings
create_app(Settings(database_url=sys.argv[1]))
import jwt
jwt.decode(jwt.encode({{"sub": "1"}}, "k" * 32, algorithm="HS256"), "k" * 32, algorithms=["HS256"])
print(",".join(name for name in {NEVER_AT_START_UP!r} if name in sys.modules))
"""


def test_a_worker_starts_and_signs_tokens_without_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    found = subprocess.run(
        [sys.executable, "-c", PROBE, url], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert found == ""
