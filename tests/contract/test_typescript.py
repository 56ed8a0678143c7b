"""The TypeScript client (clients/typescript: the package, its example and its tests), written
against the types openapi-typescript generates from the app's contract, type-checks with
`tsc --strict`; and stops type-checking when the contract breaks it."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.contract.conftest import once, run

pytestmark = once


def _generate_types(project: Path, spec: dict[str, Any], *, into: Path, scratch: Path) -> None:
    spec_file = scratch / "openapi.json"
    spec_file.write_text(json.dumps(spec))
    generator = str(project / "node_modules" / ".bin" / "openapi-typescript")
    run([generator, str(spec_file), "-o", str(into / "src" / "schema.ts")], cwd=project)


def _tsc(project: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    tsc = str(project / "node_modules" / ".bin" / "tsc")
    return subprocess.run(
        [tsc, "--strict", "--noEmit", "-p", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy_of_the_client(project: Path, into: Path) -> Path:
    """The client, its example, its tests and its configuration in a scratch dir, using the
    installed packages (the generated schema is left behind: the caller generates one)."""
    into.mkdir(parents=True)
    for config in ("package.json", "tsconfig.json"):
        shutil.copy(project / config, into)
    for folder in ("src", "examples", "test"):
        shutil.copytree(project / folder, into / folder, ignore=shutil.ignore_patterns("schema.ts"))
    (into / "node_modules").symlink_to(project / "node_modules")
    return into


def test_the_spa_client_type_checks_against_the_apps_contract(
    app: FastAPI, npm_project: Path, tmp_path: Path
) -> None:
    _generate_types(npm_project, app.openapi(), into=npm_project, scratch=tmp_path)
    result = _tsc(npm_project, cwd=npm_project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_renamed_response_field_breaks_the_spa_client(
    app: FastAPI, npm_project: Path, tmp_path: Path
) -> None:
    broken = copy.deepcopy(app.openapi())
    challenge = broken["components"]["schemas"]["ChallengePublic"]
    challenge["properties"]["motif"] = challenge["properties"].pop("theme")
    challenge["required"] = ["motif" if f == "theme" else f for f in challenge["required"]]
    project = _copy_of_the_client(npm_project, tmp_path / "broken")
    _generate_types(npm_project, broken, into=project, scratch=tmp_path)
    result = _tsc(npm_project, cwd=project)
    assert result.returncode != 0
    assert "Property 'theme' does not exist" in result.stdout, result.stdout
