"""The OpenAPI `webhooks` section: one operation per event type, built from the payload table.

Each operation describes the POST a receiver gets: the body `{id, type, created_at, data}`
with that type's data schema and example, and the headers that sign it.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.webhooks.payloads import PAYLOADS, PING_PAYLOAD, PayloadType

HEADERS = """
Headers: `Sanggar-Event` (the type), `Sanggar-Delivery` (the delivery's UUID),
`Sanggar-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` over the exact
body bytes, `User-Agent: Sanggar-Webhooks/1`. Answer any 2xx within 10 seconds; anything
else (or no answer) is retried with exponential back-off. Delivery is at least once:
de-duplicate on `id`, a UUID that every webhook and redelivery of the event shares and
no other event ever has (not even after the server is restored from a backup).
"""


class WebhookPayload(BaseModel):
    id: str = Field(
        description="The event's UUID: the same in every delivery of this event, never another "
        "event's. De-duplicate on it."
    )
    created_at: datetime


def _camel(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split("."))


def _payload_model(entry: PayloadType[Any]) -> type[BaseModel]:
    examples = entry.model.model_json_schema().get("examples", [{}])
    example = {
        "id": "0193a5f2-6c3e-7a10-8c5d-1e2f3a4b5c6d",
        "type": entry.name,
        "created_at": "2026-12-01T09:30:00Z",
        "data": examples[0],
    }
    namespace: dict[str, Any] = {
        "__annotations__": {"type": Literal[entry.name], "data": entry.model},
        "__module__": __name__,
        "__doc__": f"The body of a `{entry.name}` delivery.",
        "model_config": ConfigDict(json_schema_extra={"examples": [example]}),
    }
    return type(f"{_camel(entry.name)}Webhook", (WebhookPayload,), namespace)


def _receiver(model: type[BaseModel]) -> Any:
    def receive(payload: Any) -> None:
        """What a receiver gets."""

    parameter = inspect.Parameter(
        "payload", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=model
    )
    receive.__signature__ = inspect.Signature([parameter], return_annotation=None)  # type: ignore[attr-defined]
    return receive


def build_webhooks() -> APIRouter:
    router = APIRouter()
    for entry in (*PAYLOADS.values(), PING_PAYLOAD):
        router.add_api_route(
            entry.name,
            _receiver(_payload_model(entry)),
            methods=["POST"],
            summary=entry.summary,
            description=f"`{entry.name}`: {entry.summary.lower()}.\n{HEADERS}",
            operation_id="webhooks_receive_" + entry.name.replace(".", "_"),
            tags=["webhooks"],
            status_code=200,
            response_class=Response,
            responses={200: {"description": "Any 2xx acknowledges the delivery."}},
        )
    return router
