"""@sanggar/client (clients/typescript) builds as a package, behaves as its tests script it,
and its example runs against a live `sanggar serve`: log in, page through challenges, create
with an idempotency key, read a problem's code; several calls with an expired token cost one
refresh."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.contract.conftest import LiveSanggar, once, require, run
from tests.contract.live import (
    add_challenges,
    answers_token_expired,
    every_challenge_id,
    expired_copy,
    log_in,
)
from tests.contract.test_typescript import _generate_types

pytestmark = once


@pytest.fixture(scope="module")
def built(app: FastAPI, npm_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package in dist/ (what `npm publish` ships) and its example and tests in build/,
    all from types generated from the app's own contract."""
    _generate_types(
        npm_project, app.openapi(), into=npm_project, scratch=tmp_path_factory.mktemp("ts")
    )
    tsc = str(npm_project / "node_modules" / ".bin" / "tsc")
    run([tsc, "-p", "tsconfig.build.json"], cwd=npm_project)
    run([tsc, "-p", "tsconfig.run.json"], cwd=npm_project)
    return npm_project


def _node(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    node = require("node", install="apt-get install nodejs")
    return run([node, *args], cwd=project, timeout=120, env={**os.environ, **env})


def _as_admin(live: LiveSanggar) -> dict[str, str]:
    return {
        "SANGGAR_URL": live.url,
        "SANGGAR_USERNAME": live.admin_email,
        "SANGGAR_PASSWORD": live.admin_password,
    }


def test_the_package_ships_its_build_and_types_only(built: Path) -> None:
    npm = require("npm", install="apt-get install npm")
    packed = run([npm, "pack", "--dry-run", "--json", "--ignore-scripts"], cwd=built)
    [package] = json.loads(packed.stdout)
    shipped = {file["path"] for file in package["files"]}
    assert package["name"] == "@sanggar/client"
    assert {"dist/index.js", "dist/index.d.ts", "dist/schema.d.ts", "package.json"} <= shipped
    assert not [path for path in shipped if path.startswith(("src/", "test/", "build/"))]


def test_the_client_refreshes_once_throws_problems_and_pages_as_scripted(built: Path) -> None:
    result = _node(built, "--test", "build/test/client.test.js", env={})
    assert "# fail 0" in result.stdout, result.stdout


def test_the_example_runs_against_a_live_server(built: Path, live_sanggar: LiveSanggar) -> None:
    add_challenges(live_sanggar, 5)
    admin = log_in(live_sanggar, live_sanggar.admin_email, live_sanggar.admin_password)
    everything = every_challenge_id(live_sanggar, admin["access_token"])

    output = _node(built, "build/examples/tour.js", env=_as_admin(live_sanggar)).stdout
    lines = output.splitlines()

    assert lines[0].startswith("logged in as ") and lines[0].endswith("(@admin)"), output
    listed = [int(line.split()[1].rstrip(":")) for line in lines if line.startswith("challenge ")]
    assert listed == everything and len(listed) > 2, output  # more than one page of two
    assert f"challenges: {len(everything)}" in lines, output
    [created] = [line for line in lines if line.startswith("thread ")]
    words = created.split()
    assert words[1] == words[-3] and created.endswith("(replayed: true)"), created
    assert any(line.startswith("problem: 404 challenge_not_found: ") for line in lines), output


def test_concurrent_calls_with_an_expired_token_refresh_once_on_a_live_server(
    built: Path, live_sanggar: LiveSanggar
) -> None:
    tokens = log_in(live_sanggar, live_sanggar.admin_email, live_sanggar.admin_password)
    expired = expired_copy(tokens["access_token"])
    assert answers_token_expired(live_sanggar, expired)
    env = {**_as_admin(live_sanggar), "EXPIRED_TOKEN": expired, "CALLS": "6"}
    output = _node(built, "build/test/live-refresh.js", env=env).stdout
    assert json.loads(output) == {"refreshes": 1, "handles": ["admin"] * 6}
