"""The OpenAPI contract: every error an operation can return, declared as problem+json.

Errors come from three places, and each is declared where it arises, once:
- the framework: 422 (and 400 for unparseable JSON) wherever there is input, 413 wherever
  there is a body, 429 on every API path, 500 everywhere;
- dependencies: a dependency marked `@declares(401, 403)` adds those to every route using it;
- the route itself: `responses=problems(404, 409)` for what its service raises.
So are the security schemes: a dependency that reads the credentials itself is marked
`@accepts(scheme, …)`, and every route using it lists those schemes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI, routing
from fastapi._compat import get_definitions, get_flat_models_from_fields, get_model_name_map
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_fields_from_routes, get_openapi
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from app.core.errors import PROBLEM_MEDIA_TYPE, Problem, ValidationProblem

F = TypeVar("F", bound=Callable[..., Any])

DESCRIPTIONS = {
    400: "Malformed request (unparseable JSON, an invalid cursor).",
    401: "Missing, invalid or expired credentials (`token_expired`: refresh, then retry).",
    403: "Authenticated, but not allowed to do this.",
    404: "Not found, or not visible to the caller.",
    409: "Conflicts with the current state of the resource.",
    412: "`If-Match` names a version that is no longer current.",
    413: "The request body is larger than 1 MiB.",
    422: "Some fields are invalid; see `errors`.",
    429: "Rate limited; retry after `Retry-After` seconds.",
    500: "Unexpected error; it has been logged with the request id.",
    503: "Busy: a lock could not be had in time; retry after `Retry-After` seconds.",
}
HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": "The auth scheme: Bearer, with `error`; an expired access token "
            'adds `error_description="The access token expired"`.',
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}
# Relative: Swagger UI, ReDoc and generators resolve it against the address the contract was
# read from, so the docs work on any host, port or proxy without configuration.
THIS_SERVER = {"url": "/", "description": "The server this contract was read from."}
# What `encode_cursor([41])` gives: a real cursor, so a page's example reads as a real page.
EXAMPLE_CURSOR = "WzQxXQ"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_VALIDATION_REF = {"$ref": "#/components/schemas/ValidationProblem"}


def declares(*statuses: int) -> Callable[[F], F]:
    """Marks a dependency with the error statuses it may raise, for the OpenAPI contract."""

    def mark(function: F) -> F:
        function.__problem_statuses__ = frozenset(statuses)  # type: ignore[attr-defined]
        return function

    return mark


def accepts(*schemes: SecurityBase) -> Callable[[F], F]:
    """Marks a dependency that reads the credentials of these schemes from the request
    itself: as its dependencies, FastAPI would solve the schemes on every request, and they
    only document how a token is sent (docs/ARCHITECTURE.md)."""

    def mark(function: F) -> F:
        function.__security_schemes__ = schemes  # type: ignore[attr-defined]
        return function

    return mark


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the errors a route's own service raises."""
    return {status: {"model": Problem, "description": DESCRIPTIONS[status]} for status in statuses}


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


def _statuses_of(route: Any) -> set[int]:
    statuses = {500, 503}
    dependants = [route.dependant, *_walk(route.dependant)]
    if any(d.query_params or d.header_params or d.path_params for d in dependants):
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {400, 413, 422}
    if route.path.startswith("/api/"):
        statuses.add(429)
    for dependant in dependants:
        statuses |= set(getattr(dependant.call, "__problem_statuses__", ()))
    return statuses


def _problem_response(status: int) -> dict[str, Any]:
    schema = _VALIDATION_REF if status == 422 else _PROBLEM_REF
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "Error."),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def _fix_operation(operation: dict[str, Any], statuses: set[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), _problem_response(status))
    for code, response in responses.items():
        if not code.isdigit() or int(code) < 400:
            continue
        status = int(code)
        declared = _problem_response(status)
        response["content"] = declared["content"]
        if status in HEADERS:
            response.setdefault("headers", HEADERS[status])
        if response.get("description") in (None, "", "Validation Error", "Successful Response"):
            response["description"] = declared["description"]
    if "201" in responses:
        responses["201"].setdefault("headers", {})["Location"] = {
            "description": "URL of the created resource.",
            "schema": {"type": "string"},
        }
    operation["responses"] = dict(sorted(responses.items()))


def servers(public_base_url: str | None) -> list[dict[str, str]]:
    """The deployment's public URL first when it is set (Swagger UI calls the first one);
    the relative server always, for whoever reaches the docs at another address."""
    if public_base_url is None:
        return [THIS_SERVER]
    return [{"url": public_base_url, "description": "This community's API."}, THIS_SERVER]


def _restore_example_nulls(app: FastAPI, components: dict[str, Any]) -> None:
    """get_openapi drops every None, also those inside examples (`"read_at": null`), which
    leaves examples missing required nullable fields; put the models' own examples back."""
    fields = get_fields_from_routes([*app.routes, *app.webhooks.routes])
    models = get_flat_models_from_fields(fields, known_models=set())
    _, definitions = get_definitions(
        fields=fields, model_name_map=get_model_name_map(models), separate_input_output_schemas=True
    )
    for name, definition in definitions.items():
        if "examples" in definition and name in components:
            components[name]["examples"] = definition["examples"]


def _example_pages(components: dict[str, Any]) -> None:
    """A page's example is one item of its item model's example: written once, never stale."""
    for schema in components.values():
        properties = schema.get("properties", {})
        if "examples" in schema or set(properties) != {"items", "next_cursor"}:
            continue
        ref = properties["items"].get("items", {}).get("$ref", "")
        item = components.get(ref.rsplit("/", 1)[-1], {})
        if item.get("examples"):
            schema["examples"] = [{"items": [item["examples"][0]], "next_cursor": EXAMPLE_CURSOR}]


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route with its effective path, also those of included routers."""
    for context in routing.iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=app.openapi_tags,
        servers=servers(app.state.settings.public_base_url),
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for model in (Problem, ValidationProblem):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
    defs = components["ValidationProblem"].pop("$defs", {})
    components.update(defs)
    _restore_example_nulls(app, components)
    _example_pages(components)
    for item in schema.get("webhooks", {}).values():
        for operation in item.values():
            # What a receiver answers to a bad body is its own business, not our contract.
            operation["responses"].pop("422", None)
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        path_item = schema["paths"][route.path_format]
        for method in route.methods:
            operation = path_item.get(method.lower())
            if operation is not None:
                _fix_operation(operation, _statuses_of(route))
                _restore_operation_examples(operation, route.original_route.responses)
                _add_security(schema, operation, route)
                if "security" in operation and not _requires_credentials(route):
                    # Credentials are optional here (they only change what is shown):
                    # the empty requirement says anonymous calls are allowed too.
                    operation["security"].append({})
    return schema


def _restore_operation_examples(
    operation: dict[str, Any], declared: dict[int | str, dict[str, Any]]
) -> None:
    """A route's own response example (`responses={200: {"content": …}}`), nulls and all:
    get_openapi dropped its None values, as it does the models' (`_restore_example_nulls`)."""
    for status, response in declared.items():
        for media_type, content in response.get("content", {}).items():
            if "example" in content:
                answer = operation["responses"][str(status)]["content"][media_type]
                answer["example"] = content["example"]


def _add_security(schema: dict[str, Any], operation: dict[str, Any], route: Any) -> None:
    """The schemes of an `@accepts` dependency, as FastAPI lists a scheme dependency's."""
    marked = (getattr(d.call, "__security_schemes__", None) for d in _walk(route.dependant))
    schemes = next((found for found in marked if found), ())
    if not schemes:
        return
    components = schema["components"].setdefault("securitySchemes", {})
    for scheme in schemes:
        components[scheme.scheme_name] = jsonable_encoder(
            scheme.model, by_alias=True, exclude_none=True
        )
    operation["security"] = [{scheme.scheme_name: []} for scheme in schemes]


def _requires_credentials(route: Any) -> bool:
    return any(
        getattr(d.call, "__name__", "") in ("current_principal", "current_reader")
        for d in _walk(route.dependant)
    )


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
