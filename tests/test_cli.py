from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, create_engine, func, select
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.models import Member, Role

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SANGGAR_DATABASE_URL", url)
    monkeypatch.setenv("SANGGAR_SECRET_KEY", "cli-test-" + "k" * 64)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _count(url: str, *conditions: object) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(Member).where(*conditions)).one()  # type: ignore[arg-type]
    engine.dispose()
    return total


def test_migrate_then_create_admin(database: str) -> None:
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    result = runner.invoke(
        cli,
        ["create-admin", "--email", "ops@example.com", "--handle", "ops", "--display-name", "Ops"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert _count(database, col(Member.role) == Role.ADMIN) == 1


def test_create_admin_validates_like_registration(database: str) -> None:
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(
        cli,
        ["create-admin", "--email", "bad", "--handle", "x", "--display-name", "X"],
        input="short\nshort\n",
    )
    assert result.exit_code != 0
    assert _count(database) == 0


def test_seed_demo_builds_a_community_once(database: str) -> None:
    runner.invoke(cli, ["migrate"])
    first = runner.invoke(cli, ["seed-demo", "--members", "10"])
    assert first.exit_code == 0, first.output
    assert "12 members" in first.output
    assert _count(database) == 12
    again = runner.invoke(cli, ["seed-demo", "--members", "10"])
    assert again.exit_code == 0
    assert "already seeded" in again.output and "nothing added" in again.output
    assert _count(database) == 12


def test_seed_demo_refuses_a_community_too_small(database: str) -> None:
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(cli, ["seed-demo", "--members", "3"])
    assert result.exit_code == 2
    assert "--members" in result.output
    assert _count(database) == 0


def test_openapi_command_writes_the_contract(database: str, tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    assert runner.invoke(cli, ["openapi", "--output", str(output)]).exit_code == 0
    assert json.loads(output.read_text())["info"]["title"] == "Sanggar"


def test_create_admin_refuses_a_taken_handle(database: str) -> None:
    runner.invoke(cli, ["migrate"])
    args = ["create-admin", "--email", "a@example.com", "--handle", "ops", "--display-name", "Ops"]
    assert runner.invoke(cli, args, input="long password 1\nlong password 1\n").exit_code == 0
    args[2] = "b@example.com"
    again = runner.invoke(
        cli,
        [*args[:3], "--handle", "OPS", "--display-name", "Ops"],
        input="long password 1\nlong password 1\n",
    )
    assert again.exit_code == 1
    assert "handle is taken" in again.output


def test_serve_uses_the_asyncio_loop_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    # asyncio's loop serves a saturated process's requests in arrival order; uvloop left some
    # waiting seconds (measured in bench/ANALYSIS.md), so it is a choice, not the default.
    commands: list[list[str]] = []
    monkeypatch.setattr("app.cli.os.execv", lambda _path, argv: commands.append(argv))
    assert runner.invoke(cli, ["serve", "--port", "8123"]).exit_code == 0
    assert runner.invoke(cli, ["serve", "--loop", "uvloop", "--workers", "2"]).exit_code == 0
    assert runner.invoke(cli, ["serve", "--loop", "tokio"]).exit_code != 0
    # The process becomes `python -m app.serve` with the options, without the CLI.
    server = ["-P", "-X", "no_debug_ranges", "-m", "app.serve"]
    assert [command[1:-1] for command in commands] == [server] * 2
    options = [json.loads(command[-1]) for command in commands]
    assert options == [
        {"host": "127.0.0.1", "port": 8123, "workers": 1, "reload": False, "loop": "asyncio"},
        {"host": "127.0.0.1", "port": 8000, "workers": 2, "reload": False, "loop": "uvloop"},
    ]


def test_the_server_runs_uvicorn_with_the_apps_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from app import serve
    from app.core.server import BoundedHttpToolsProtocol

    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: calls.append((args, kwargs)))
    options = {"host": "0.0.0.0", "port": 8123, "workers": 3, "reload": True, "loop": "asyncio"}
    serve.serve(options)
    [(args, kwargs)] = calls
    assert args == ("app.main:app",)
    assert kwargs == {
        **options,
        "log_config": None,
        "proxy_headers": False,
        "server_header": False,
        "http": BoundedHttpToolsProtocol,
        # No WebSocket route: uvicorn's "auto" would load the websockets package in every worker.
        "ws": "none",
    }
