"""sanggar_client_extras (clients/python), the thin layer over the generated client, against a
live `sanggar serve`: its example runs; several threads with an expired token cost one refresh;
problems are raised with their code; lists are read whole across pages. It and its example
type-check under mypy --strict against the freshly generated client."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.migrations import PROJECT_ROOT
from tests.contract.conftest import LiveSanggar, once, run
from tests.contract.live import (
    add_challenges,
    answers_token_expired,
    every_challenge_id,
    expired_copy,
    log_in,
)
from tests.contract.test_python_client import PACKAGE, Generated, generated

__all__ = ["generated"]  # the fixture: one generated client for this module

LAYER = PROJECT_ROOT / "clients" / "python"
EXAMPLE = LAYER / "examples" / "tour.py"

pytestmark = once


@pytest.fixture(scope="module")
def extras(generated: Generated) -> Iterator[Any]:
    """The layer, imported against the client generated for this module."""
    sys.path.insert(0, str(LAYER))
    try:
        yield importlib.import_module("sanggar_client_extras")
    finally:
        sys.path.remove(str(LAYER))
        sys.modules.pop("sanggar_client_extras", None)


def _generated_home() -> Path:
    return Path(importlib.import_module(PACKAGE).__file__ or "").parents[1]


def _admin(extras: Any, live: LiveSanggar, **httpx_args: Any) -> Any:
    return extras.log_in(live.url, live.admin_email, live.admin_password, **httpx_args)


def test_the_layer_and_its_example_type_check_under_mypy_strict(extras: Any) -> None:
    mypy = str(Path(sys.executable).with_name("mypy"))
    env = {**os.environ, "MYPYPATH": f"{_generated_home()}{os.pathsep}{LAYER}"}
    command = [
        mypy,
        "--strict",
        "--no-incremental",
        str(LAYER / "sanggar_client_extras"),
        str(EXAMPLE),
    ]
    run(command, cwd=_generated_home(), env=env)


def test_the_example_runs_against_a_live_server(extras: Any, live_sanggar: LiveSanggar) -> None:
    add_challenges(live_sanggar, 5)
    admin = log_in(live_sanggar, live_sanggar.admin_email, live_sanggar.admin_password)
    everything = every_challenge_id(live_sanggar, admin["access_token"])
    env = {
        **os.environ,
        "PYTHONPATH": f"{_generated_home()}{os.pathsep}{LAYER}",
        "SANGGAR_URL": live_sanggar.url,
        "SANGGAR_USERNAME": live_sanggar.admin_email,
        "SANGGAR_PASSWORD": live_sanggar.admin_password,
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, env=env, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()

    assert lines[0].startswith("logged in as ") and lines[0].endswith("(@admin)"), output
    listed = [int(line.split()[1].rstrip(":")) for line in lines if line.startswith("challenge ")]
    assert listed == everything and len(listed) > 2, output  # more than one page of two
    assert f"challenges: {len(everything)}" in lines, output
    [created] = [line for line in lines if line.startswith("thread ")]
    assert created.split()[1] == created.split()[-1], created
    assert any(line.startswith("problem: 404 challenge_not_found: ") for line in lines), output


def test_threads_with_an_expired_token_share_one_refresh(
    generated: Generated, extras: Any, live_sanggar: LiveSanggar
) -> None:
    refreshes: list[str] = []

    def count(request: httpx.Request) -> None:
        if request.url.path == "/api/v1/auth/refresh":
            refreshes.append(request.url.path)

    get_me = generated.api("members.members_get_me").sync_detailed
    with _admin(extras, live_sanggar, event_hooks={"request": [count]}) as sanggar:
        pair = sanggar.tokens
        sanggar.tokens = generated.models.TokenResponse(
            access_token=expired_copy(pair.access_token),
            token_type="bearer",
            expires_in=900,
            refresh_token=pair.refresh_token,
        )
        assert answers_token_expired(live_sanggar, sanggar.tokens.access_token)
        with ThreadPoolExecutor(6) as pool:
            members = list(pool.map(lambda _: extras.ok(get_me(client=sanggar.client)), range(6)))

        assert [member.handle for member in members] == ["admin"] * 6
        assert len(refreshes) == 1
        assert sanggar.tokens.refresh_token != pair.refresh_token


def test_an_unauthorized_token_ends_the_log_in_without_a_refresh(
    generated: Generated, extras: Any, live_sanggar: LiveSanggar
) -> None:
    sent: list[httpx.Request] = []
    get_me = generated.api("members.members_get_me").sync_detailed
    with _admin(extras, live_sanggar, event_hooks={"request": [sent.append]}) as sanggar:
        pair = sanggar.tokens
        sanggar.tokens = generated.models.TokenResponse(
            access_token="not.a.token",
            token_type="bearer",
            expires_in=900,
            refresh_token=pair.refresh_token,
        )
        with pytest.raises(extras.SanggarProblem) as raised:
            extras.ok(get_me(client=sanggar.client))

        assert (raised.value.status, raised.value.code) == (401, "unauthorized")
        assert sanggar.tokens is None
        after_log_in = [request.url.path for request in sent][1:]
        assert after_log_in == ["/api/v1/members/me"]  # no refresh, no retry


def test_problems_are_raised_with_their_code_and_errors(
    generated: Generated, extras: Any, live_sanggar: LiveSanggar
) -> None:
    with pytest.raises(extras.SanggarProblem) as refused:
        extras.log_in(live_sanggar.url, "nobody", "wrong password")
    assert (refused.value.status, refused.value.code) == (401, "invalid_credentials")

    list_challenges = generated.api("challenges.challenges_list").sync_detailed
    with _admin(extras, live_sanggar) as sanggar, pytest.raises(extras.SanggarProblem) as invalid:
        extras.ok(list_challenges(client=sanggar.client, limit=500))
    assert (invalid.value.status, invalid.value.code) == (422, "validation_failed")
    assert [error["loc"] for error in invalid.value.errors] == [["query", "limit"]]
    assert invalid.value.title and invalid.value.detail and invalid.value.request_id


def test_each_item_reads_a_list_across_its_pages(
    generated: Generated, extras: Any, live_sanggar: LiveSanggar
) -> None:
    add_challenges(live_sanggar, 3)
    list_challenges = generated.api("challenges.challenges_list").sync_detailed
    with _admin(extras, live_sanggar) as sanggar:
        pages = extras.each_item(list_challenges, client=sanggar.client, limit=2)
        ids = [challenge.id for challenge in pages]
    everything = every_challenge_id(
        live_sanggar,
        log_in(live_sanggar, live_sanggar.admin_email, live_sanggar.admin_password)["access_token"],
    )
    assert ids == everything and len(ids) > 2


def test_create_sends_one_idempotency_key_for_a_creation(
    generated: Generated, extras: Any, live_sanggar: LiveSanggar
) -> None:
    sent: list[str | None] = []
    create_thread = generated.api("threads.threads_create").sync_detailed
    body = generated.models.ThreadCreate(title="Riso", body="Who prints near here?")
    hooks = {"request": [lambda request: sent.append(request.headers.get("Idempotency-Key"))]}
    with _admin(extras, live_sanggar, event_hooks=hooks) as sanggar:
        first = extras.create(create_thread, client=sanggar.client, body=body)
        second = extras.create(create_thread, client=sanggar.client, body=body)

    assert first.id != second.id  # two intended creations, two keys
    keys = sent[1:]  # after the log-in
    assert len(keys) == 2 and keys[0] and keys[1] and keys[0] != keys[1]
