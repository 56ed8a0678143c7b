"""Property-based tests of every operation against the published contract (schemathesis).

Every operation gets generated valid and invalid requests (schemathesis' examples, coverage
and fuzzing phases) as an admin, who may reach every route, as a plain member and as an
anonymous visitor, and every answer passes schemathesis' whole default set of checks
(`call_and_validate()` without a check list): no 5xx; status codes, content types, headers
and schemas as declared; schema-valid data accepted and invalid data refused; unsupported
methods refused with 405 and an `Allow` header; a missing required header refused;
authentication not ignored. The stateful phase then chains operations through the links
schemathesis infers from `Location` headers and response bodies (create, then read, update,
delete what was created), as an admin and as a member.

The configuration below widens `positive_data_acceptance` only where a documented rule that
JSON Schema cannot state makes a refusal of schema-valid data right, each with its reason.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app.models import Role
from tests.conftest import _empty_tables
from tests.factories import auth_headers, make_member

# Fuzzing examples per operation and caller; the examples and coverage phases add their own
# (each example declared in the contract, and the boundary values of every parameter). The
# figures in docs/OPERATIONS.md's "Security" section come from these numbers.
EXAMPLES_PER_OPERATION = 40
STATEFUL_SCENARIOS = 100
STATEFUL_STEPS = 10
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]
HYPOTHESIS = settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=_QUIET
)
STATEFUL = settings(
    max_examples=STATEFUL_SCENARIOS,
    stateful_step_count=STATEFUL_STEPS,
    deadline=None,
    suppress_health_check=_QUIET,
)
# schemathesis' own default for positive data (`config/_checks.py`), widened below.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def _cursor_operations(document: dict[str, Any]) -> list[str]:
    return [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        and any(p.get("name") == "cursor" for p in operation.get("parameters", ()))
    ]


def _config(app: FastAPI) -> SchemathesisConfig:
    accept_also: list[tuple[list[str], list[str]]] = [
        # A cursor is opaque: only one the API issued (`next_cursor`) is valid, and any other
        # string is a 400 `bad_request` ("an invalid cursor", declared on every list).
        (_cursor_operations(app.openapi()), ["400"]),
        # Rules across fields, which JSON Schema cannot compare: a challenge's dates in order
        # (submissions open < close < voting close), an event ending after it starts, an
        # analytics range with `to` not before `from` and at most 366 days.
        (["challenges_create", "challenges_update", "events_create", "events_update"], ["422"]),
        (["analytics_engagement"], ["422"]),
        # Marking read takes `ids` or `all: true`, exactly one (the model's description); the
        # schema does not say it as an `anyOf`, which generated clients cannot parse.
        (["notifications_mark_read"], ["422"]),
        # A project member's `role` is given only together with `member_id` (a
        # coordinator's add), as the field's description says.
        (["projects_add_member"], ["422"]),
        # Values whose validity no pattern states: an IANA time zone name (the tz database
        # changes with each tzdata release), an http(s) URL whose host is a valid IDNA name,
        # an email address outside the special-use domains (RFC 6761, `email-validator`).
        (["events_create", "events_update"], ["422"]),
        (["members_update_me", "challenges_create_submission", "submissions_update"], ["422"]),
        (["members_create_inquiry", "auth_register", "invitations_create"], ["422"]),
        (["accounts_request_password_reset"], ["422"]),
        # A webhook URL must resolve to a public address (documented on the operation).
        (["webhooks_create", "webhooks_update"], ["422"]),
        # A chat bridge's target: the fields its `kind` takes, each well-formed, on the
        # platform's own host (documented on the operation and the target's description).
        (["chat_bridges_create", "chat_bridges_update"], ["422"]),
        # Rules against the stored state: nobody asks themselves for mentoring, and a mentor's
        # capacity stays at least their active mentorships; an anthology's `challenge_ids`
        # must name existing challenges; a task's assignee must be an active project member.
        (["mentorships_create", "members_update_me"], ["422"]),
        (["anthologies_create", "anthologies_update"], ["422"]),
        (["projects_create_task", "projects_update_task"], ["422"]),
        # A juror's scores name exactly the challenge's criteria (its stored rubric).
        (["submissions_score"], ["422"]),
        # An upload's type is decided by its bytes (415), its size and megapixel limits by
        # its kind (413), and bytes that start like an image must decode as one (422): no
        # schema states what a file holds.
        (["media_upload"], ["413", "415", "422"]),
    ]
    extra: dict[str, set[str]] = {}
    for operation_ids, statuses in accept_also:
        for operation_id in operation_ids:
            extra.setdefault(operation_id, set()).update(statuses)
    # One section per operation: schemathesis applies the first section that matches.
    return SchemathesisConfig.from_dict(
        {
            "operations": [
                {
                    "include-operation-id": operation_id,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ACCEPTED + sorted(statuses)
                        }
                    },
                }
                for operation_id, statuses in sorted(extra.items())
            ]
        }
    )


def _load(app: FastAPI) -> Any:
    # The notification stream never ends by itself (an in-process client would read it
    # forever): tests/notifications/test_live.py checks it over real HTTP.
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(app)).exclude(
        operation_id="notifications_stream"
    )


def _fresh_idempotency_key(case: Any) -> None:
    """A client sends a new `Idempotency-Key` per intended creation, as the header says; the
    same key again with another body is refused with 422 by design (see
    `test_idempotency_key_with_another_body_is_422`), a conflict with an earlier request that
    no schema of this one can state. So every generated valid request gets its own key;
    invalid ones keep what was generated."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and (case.headers or {}).get("Idempotency-Key") is not None:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())


@pytest.fixture
def api_schema(app: FastAPI) -> Any:
    return _load(app)


@pytest.fixture
def admin_headers(app: FastAPI, engine: Any) -> dict[str, str]:
    return auth_headers(app, make_member(app, role=Role.ADMIN))


@pytest.fixture
def member_headers(app: FastAPI, engine: Any) -> dict[str, str]:
    return auth_headers(app, make_member(app))


def _call_and_validate(case: Any, headers: dict[str, str]) -> None:
    _fresh_idempotency_key(case)
    case.call_and_validate(headers={**headers, **(case.headers or {})})


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_keeps_its_contract_for_admins(
    case: Any, admin_headers: dict[str, str]
) -> None:
    _call_and_validate(case, admin_headers)


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_keeps_its_contract_for_members(
    case: Any, member_headers: dict[str, str]
) -> None:
    _call_and_validate(case, member_headers)


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_keeps_its_contract_for_visitors(case: Any, engine: Any) -> None:
    """Anonymous: public operations answer as declared, the others with 401."""
    _fresh_idempotency_key(case)
    case.call_and_validate()


def _run_state_machine(app: FastAPI, role: Role) -> None:
    base = _load(app).as_state_machine()

    class OneCaller(base):  # type: ignore[valid-type, misc]
        """Every scenario starts from an empty community with its one caller: hypothesis
        replays and shrinks scenarios, which must then meet the same state (rows left by an
        earlier scenario made it see a different API and fail as flaky)."""

        def setup(self) -> None:
            _empty_tables(app.state.engine)
            self.headers = auth_headers(app, make_member(app, role=role, handle="caller"))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            _fresh_idempotency_key(case)
            return {"headers": {**self.headers, **(case.headers or {})}}

    OneCaller.run(settings=STATEFUL)


def test_chained_operations_keep_their_contract_for_admins(app: FastAPI, engine: Any) -> None:
    _run_state_machine(app, Role.ADMIN)


def test_chained_operations_keep_their_contract_for_members(app: FastAPI, engine: Any) -> None:
    _run_state_machine(app, Role.MEMBER)
