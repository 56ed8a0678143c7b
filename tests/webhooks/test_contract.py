"""The OpenAPI `webhooks` section documents every event type a receiver can get."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI

from app.webhooks.payloads import EVENT_TYPES


def test_every_event_type_is_documented_with_its_payload_and_an_example(app: FastAPI) -> None:
    contract: dict[str, Any] = app.openapi()
    schemas = contract["components"]["schemas"]
    assert set(contract["webhooks"]) == {*EVENT_TYPES, "ping"}
    for event_type, item in contract["webhooks"].items():
        operation = item["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        payload = schemas[ref.rsplit("/", 1)[1]]
        assert set(payload["required"]) == {"id", "type", "created_at", "data"}
        assert payload["properties"]["type"]["const"] == event_type
        [example] = payload["examples"]
        assert example["type"] == event_type and example["data"]
        assert "Sanggar-Signature" in operation["description"]


def test_every_reference_in_the_contract_resolves(app: FastAPI) -> None:
    contract = app.openapi()
    refs = set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", json.dumps(contract)))
    assert refs <= set(contract["components"]["schemas"])
